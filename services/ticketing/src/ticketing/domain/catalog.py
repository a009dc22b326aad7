"""The registry's entities as ticketing needs them (a read model fed by ``registry.changed``)."""

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Site:
    """An MPP building or an outreach stall; its timezone decides what "today" is."""

    id: UUID
    code: str
    name: str
    timezone: str
    active: bool
    # {"mon": [["08:00", "15:00"]], ...}; None means no hours are published (always open).
    hours: dict[str, list[list[str]]] | None = None
    closed_dates: tuple[str, ...] = field(default=())

    def local_day(self, at: datetime) -> date:
        return at.astimezone(ZoneInfo(self.timezone)).date()


@dataclass(frozen=True)
class Service:
    """A layanan offered by one agency (instansi) at one site."""

    id: UUID
    site_id: UUID
    agency_id: UUID
    code: str
    prefix: str
    name_id: str
    name_en: str
    daily_quota: int | None
    priority_enabled: bool
    active: bool
    # Its own hours, when they differ from the site's (None: the site's hours apply).
    hours: dict[str, list[list[str]]] | None = None


@dataclass(frozen=True)
class Counter:
    """A loket as the registry defines it: which services it serves."""

    id: UUID
    site_id: UUID
    agency_id: UUID
    name: str
    service_ids: tuple[UUID, ...]
    active: bool


@dataclass(frozen=True)
class Journey:
    """An alur: services taken in order; one journey ticket moves from step to step."""

    id: UUID
    site_id: UUID
    code: str
    name_id: str
    name_en: str
    steps: tuple[UUID, ...]
    active: bool

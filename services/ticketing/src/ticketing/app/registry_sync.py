"""Keep the local copy of the registry (sites, services, counters, journeys, credentials) in step with
``registry.changed``; each event is applied once, however often Kafka delivers it."""

import re
from typing import Any, Final, Literal
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from antre_contracts import CloudEvent
from antre_contracts.events import RegistryChanged
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from ticketing.app.ports import CatalogRepository, Credential, UnitOfWork
from ticketing.domain.catalog import Counter, Journey, Service, Site
from ticketing.domain.hours import WEEKDAYS

CONSUMER: Final = "ticketing.registry"
_CLOCK_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d|24:00")


def _valid_hours(value: dict[str, list[list[str]]] | None) -> dict[str, list[list[str]]] | None:
    """``{"mon": [["08:00", "15:00"]], ...}``: known weekdays, HH:MM windows that end after they start."""
    if value is None:
        return None
    for day, windows in value.items():
        if day not in WEEKDAYS:
            raise ValueError(f"unknown weekday {day!r} in hours (use {', '.join(WEEKDAYS)})")
        for window in windows:
            if (
                len(window) != 2
                or not all(_CLOCK_TIME.fullmatch(t) for t in window)
                or window[0] >= window[1]
            ):
                raise ValueError(f'bad opening window {window!r} on {day}: expected ["HH:MM", "HH:MM"]')
    return value


class _State(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SiteState(_State):
    id: UUID
    code: str
    name: str
    timezone: str
    active: bool = True
    hours: dict[str, list[list[str]]] | None = None
    closed_dates: list[str] = []

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[str, list[list[str]]] | None) -> dict[str, list[list[str]]] | None:
        return _valid_hours(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value


class ServiceState(_State):
    id: UUID
    site_id: UUID
    agency_id: UUID
    code: str
    prefix: str
    name_id: str
    name_en: str
    daily_quota: int | None = None
    priority_enabled: bool = True
    active: bool = True
    hours: dict[str, list[list[str]]] | None = None

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[str, list[list[str]]] | None) -> dict[str, list[list[str]]] | None:
        return _valid_hours(value)


class CounterState(_State):
    id: UUID
    site_id: UUID
    agency_id: UUID
    name: str
    service_ids: list[UUID]
    active: bool = True


class JourneyState(_State):
    id: UUID
    site_id: UUID
    code: str
    name_id: str
    name_en: str
    steps: list[UUID]
    active: bool = True


class CredentialState(_State):
    """An agency key or staff token: the registry sends only the SHA-256 of its secret."""

    id: UUID
    kind: Literal["agency_key", "staff_token"]
    agency_id: UUID
    counter_id: UUID | None = None
    sha256: str
    active: bool = True

    @field_validator("sha256")
    @classmethod
    def _hex_digest(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9a-fA-F]{64}", value):
            raise ValueError("sha256 must be 64 hex digits")
        return value.lower()

    @model_validator(mode="after")
    def _staff_token_names_its_counter(self) -> "CredentialState":
        if self.kind == "staff_token" and self.counter_id is None:
            raise ValueError("a staff token must name its counter_id")
        return self


class CredentialChanged(_State):
    """``registry.changed`` for entity "credential", read from the raw data until the
    contracts' RegistryEntity lists it."""

    entity: Literal["credential"]
    id: UUID
    op: Literal["upsert", "delete"]
    state: dict[str, Any] = {}


async def apply_registry_change(event: CloudEvent, *, uow: UnitOfWork) -> bool:
    """True if the event changed the read model; False for a redelivery or an entity we do
    not keep. Raises pydantic.ValidationError for data that breaks the contract."""
    if event.type != "registry.changed":
        return False
    credential = event.data.get("entity") == "credential"
    change = CredentialChanged.model_validate(event.data) if credential else event.data_as(RegistryChanged)
    async with uow:
        if not await uow.first_delivery(consumer=CONSUMER, event_id=event.id):
            return False
        if isinstance(change, CredentialChanged):
            applied = await _apply_credential(change, uow.catalog)
        else:
            applied = await _apply(change, uow.catalog)
        await uow.commit()
    return applied


async def _apply_credential(change: CredentialChanged, catalog: CatalogRepository) -> bool:
    if change.op == "delete":
        await catalog.remove("credential", change.id)
        return True
    state: dict[str, Any] = {**change.state, "id": str(change.id)}
    c = CredentialState.model_validate(state)
    await catalog.put_credential(
        Credential(
            id=c.id,
            kind=c.kind,
            agency_id=c.agency_id,
            counter_id=c.counter_id,
            sha256=c.sha256,
            active=c.active,
        ),
        state,
    )
    return True


async def _apply(change: RegistryChanged, catalog: CatalogRepository) -> bool:
    if change.entity == "agency":
        return False  # a ticket takes its agency from its service; nothing to keep
    if change.op == "delete":
        await catalog.remove(change.entity, change.id)
        return True
    state: dict[str, Any] = {**change.state, "id": str(change.id)}
    match change.entity:
        case "site":
            await catalog.put_site(_site(SiteState.model_validate(state)), state)
        case "service":
            await catalog.put_service(_service(ServiceState.model_validate(state)), state)
        case "counter":
            await catalog.put_counter(_counter(CounterState.model_validate(state)), state)
        case "journey":
            await catalog.put_journey(_journey(JourneyState.model_validate(state)), state)
    return True


def _site(s: SiteState) -> Site:
    return Site(
        id=s.id,
        code=s.code,
        name=s.name,
        timezone=s.timezone,
        active=s.active,
        hours=s.hours,
        closed_dates=tuple(s.closed_dates),
    )


def _service(s: ServiceState) -> Service:
    return Service(
        id=s.id,
        site_id=s.site_id,
        agency_id=s.agency_id,
        code=s.code,
        prefix=s.prefix,
        name_id=s.name_id,
        name_en=s.name_en,
        daily_quota=s.daily_quota,
        priority_enabled=s.priority_enabled,
        active=s.active,
        hours=s.hours,
    )


def _counter(s: CounterState) -> Counter:
    return Counter(
        id=s.id,
        site_id=s.site_id,
        agency_id=s.agency_id,
        name=s.name,
        service_ids=tuple(s.service_ids),
        active=s.active,
    )


def _journey(s: JourneyState) -> Journey:
    return Journey(
        id=s.id,
        site_id=s.site_id,
        code=s.code,
        name_id=s.name_id,
        name_en=s.name_en,
        steps=tuple(s.steps),
        active=s.active,
    )

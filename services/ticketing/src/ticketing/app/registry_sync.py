"""Keep the local copy of the registry (sites, services, counters, journeys) in step with
``registry.changed``; each event is applied once, however often Kafka delivers it."""

from typing import Any, Final
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from antre_contracts import CloudEvent
from antre_contracts.events import RegistryChanged
from pydantic import BaseModel, ConfigDict, field_validator

from ticketing.app.ports import CatalogRepository, UnitOfWork
from ticketing.domain.catalog import Counter, Journey, Service, Site

CONSUMER: Final = "ticketing.registry"


class _State(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SiteState(_State):
    id: UUID
    code: str
    name: str
    timezone: str
    active: bool = True

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


async def apply_registry_change(event: CloudEvent, *, uow: UnitOfWork) -> bool:
    """True if the event changed the read model; False for a redelivery or an entity we do
    not keep. Raises pydantic.ValidationError for data that breaks the contract."""
    if event.type != "registry.changed":
        return False
    change = event.data_as(RegistryChanged)
    async with uow:
        if not await uow.first_delivery(consumer=CONSUMER, event_id=event.id):
            return False
        applied = await _apply(change, uow.catalog)
        await uow.commit()
    return applied


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
    return Site(id=s.id, code=s.code, name=s.name, timezone=s.timezone, active=s.active)


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

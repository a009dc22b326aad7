"""Fetch an entity for a principal, applying the scope rules of :mod:`registry.domain.access`.

What a principal may not read is reported as not found (404), so existence does not leak;
what it may read but not change is refused as out of scope (403).
"""

from uuid import UUID

from registry.app.ports import RegistryStore
from registry.app.schemas import CounterPublic, ServicePublic
from registry.domain.access import Principal, may_read_counter, may_read_service, may_write_owned
from registry.domain.errors import NotFound, OutOfScope


async def staff_service_ids(store: RegistryStore, principal: Principal) -> list[UUID]:
    """The services a staff token's counter serves (none for other principals)."""
    if principal.kind != "staff" or principal.counter_id is None:
        return []
    counter = await store.get_counter(principal.counter_id)
    return [] if counter is None else counter.service_ids


async def readable_service(
    store: RegistryStore, principal: Principal, service_id: UUID, *, for_update: bool = False
) -> ServicePublic:
    service = await store.get_service(service_id, for_update=for_update)
    if service is None or not may_read_service(
        principal,
        agency_id=service.agency_id,
        service_id=service.id,
        counter_services=await staff_service_ids(store, principal),
    ):
        raise NotFound("service", service_id)
    return service


async def readable_counter(
    store: RegistryStore, principal: Principal, counter_id: UUID, *, for_update: bool = False
) -> CounterPublic:
    counter = await store.get_counter(counter_id, for_update=for_update)
    if counter is None or not may_read_counter(principal, agency_id=counter.agency_id, counter_id=counter.id):
        raise NotFound("counter", counter_id)
    return counter


def require_writer(principal: Principal, *, agency_id: UUID, what: str) -> None:
    """403 unless the admin or the owning agency's key is acting."""
    if not may_write_owned(principal, agency_id=agency_id):
        raise OutOfScope(
            f"{what} needs the owning agency's API key or the admin token; "
            f"a {'staff token' if principal.kind == 'staff' else 'key of another agency'} cannot change it"
        )

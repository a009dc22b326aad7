"""Use cases for services (layanan): what an agency offers at a site, with its ticket prefix."""

from uuid import UUID, uuid4

from antre_platform.clock import Clock

from registry.app.changes import patched, record_change
from registry.app.owners import check_owners
from registry.app.ports import RegistryStore, UnitOfWork
from registry.app.schemas import ServiceCreate, ServicePublic, ServiceUpdate
from registry.domain.errors import Conflict, FieldIssue, NotFound
from registry.domain.rules import ServiceKey, service_key_conflicts


async def require(store: RegistryStore, service_id: UUID, *, for_update: bool = False) -> ServicePublic:
    service = await store.get_service(service_id, for_update=for_update)
    if service is None:
        raise NotFound("service", service_id)
    return service


async def get(service_id: UUID, *, uow: UnitOfWork) -> ServicePublic:
    async with uow:
        return await require(uow.store, service_id)


async def find(
    *, uow: UnitOfWork, site_id: UUID | None = None, agency_id: UUID | None = None, code: str | None = None
) -> list[ServicePublic]:
    async with uow:
        return await uow.store.find_services(site_id=site_id, agency_id=agency_id, code=code)


async def create(command: ServiceCreate, *, uow: UnitOfWork, clock: Clock, actor: str) -> ServicePublic:
    async with uow:
        await check_owners(uow.store, site_id=command.site_id, agency_id=command.agency_id)
        service = ServicePublic(id=uuid4(), **command.model_dump())
        await _check_unique_at_site(uow.store, service)
        at = clock.now()
        await uow.store.insert_service(service, at=at)
        await record_change(uow, before=None, after=service, actor=actor, at=at)
        return service


async def update(
    service_id: UUID, patch: ServiceUpdate, *, uow: UnitOfWork, clock: Clock, actor: str
) -> ServicePublic:
    async with uow:
        before = await require(uow.store, service_id, for_update=True)
        after = patched(before, patch)
        if after == before:
            return before
        await _check_unique_at_site(uow.store, after)
        at = clock.now()
        await uow.store.update_service(after, at=at)
        await record_change(uow, before=before, after=after, actor=actor, at=at)
        return after


async def delete(service_id: UUID, *, uow: UnitOfWork, clock: Clock, actor: str) -> None:
    """Remove a service nobody links to any more; to retire one in use, set it inactive."""
    async with uow:
        service = await require(uow.store, service_id, for_update=True)
        counters, journeys = await uow.store.service_users(service_id)
        if counters or journeys:
            users = [*(f"counter {name}" for name in counters), *(f"journey {code}" for code in journeys)]
            raise Conflict(
                [
                    FieldIssue(
                        "id",
                        f"service {service.code} is still used by {', '.join(users)}; "
                        "remove it from them first, or PATCH it with active=false",
                    )
                ]
            )
        await uow.store.delete_service(service_id)
        at = clock.now()
        await record_change(uow, before=service, after=None, actor=actor, at=at)


async def _check_unique_at_site(store: RegistryStore, service: ServicePublic) -> None:
    others = [ServiceKey(s.id, s.code, s.prefix) for s in await store.find_services(site_id=service.site_id)]
    issues = service_key_conflicts(ServiceKey(service.id, service.code, service.prefix), others=others)
    if issues:
        raise Conflict(issues)

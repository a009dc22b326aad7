"""Use cases for services (layanan): what an agency offers at a site, with its ticket prefix."""

from uuid import UUID, uuid4

from antre_platform.clock import Clock

from registry.app.changes import check_version, patched, record_change
from registry.app.owners import check_owners
from registry.app.ports import RegistryStore, UnitOfWork
from registry.app.schemas import ServiceCreate, ServicePublic, ServiceUpdate
from registry.app.scope import readable_service, require_writer, staff_service_ids
from registry.domain.access import Principal, listing_agency
from registry.domain.errors import Conflict, FieldIssue, InvalidInput
from registry.domain.rules import ServiceKey, service_key_conflicts


async def get(service_id: UUID, *, uow: UnitOfWork, principal: Principal) -> ServicePublic:
    async with uow:
        return await readable_service(uow.store, principal, service_id)


async def find(
    *,
    uow: UnitOfWork,
    principal: Principal,
    site_id: UUID | None = None,
    agency_id: UUID | None = None,
    code: str | None = None,
) -> list[ServicePublic]:
    """Every service for the admin; an agency's own for its key; its counter's for a staff token."""
    agency_id = listing_agency(principal, agency_id)
    async with uow:
        found = await uow.store.find_services(site_id=site_id, agency_id=agency_id, code=code)
        if principal.kind == "staff":
            served = await staff_service_ids(uow.store, principal)
            found = [service for service in found if service.id in served]
        return found


async def create(
    command: ServiceCreate, *, uow: UnitOfWork, clock: Clock, principal: Principal
) -> ServicePublic:
    require_writer(
        principal, agency_id=command.agency_id, what=f"creating a service for agency {command.agency_id}"
    )
    async with uow:
        await check_owners(uow.store, site_id=command.site_id, agency_id=command.agency_id)
        service = ServicePublic(id=uuid4(), **command.model_dump())
        await _check_unique_at_site(uow.store, service)
        at = clock.now()
        await uow.store.insert_service(service, at=at)
        await record_change(uow, before=None, after=service, actor=principal.actor, at=at)
        return service


async def update(
    service_id: UUID,
    patch: ServiceUpdate,
    *,
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    if_match: str | None = None,
) -> ServicePublic:
    async with uow:
        before = await readable_service(uow.store, principal, service_id, for_update=True)
        require_writer(principal, agency_id=before.agency_id, what="changing a service")
        check_version(before, if_match)
        after = patched(before, patch)
        if after == before:
            return before
        await _check_unique_at_site(uow.store, after)
        at = clock.now()
        await uow.store.update_service(after, at=at)
        await record_change(uow, before=before, after=after, actor=principal.actor, at=at)
        return after


async def delete(service_id: UUID, *, uow: UnitOfWork, clock: Clock, principal: Principal) -> None:
    """Remove a service nobody links to any more; to retire one in use, set it inactive."""
    async with uow:
        service = await readable_service(uow.store, principal, service_id, for_update=True)
        require_writer(principal, agency_id=service.agency_id, what="deleting a service")
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
        await record_change(uow, before=service, after=None, actor=principal.actor, at=at)


async def _check_unique_at_site(store: RegistryStore, service: ServicePublic) -> None:
    others = [ServiceKey(s.id, s.code, s.prefix) for s in await store.find_services(site_id=service.site_id)]
    issues = service_key_conflicts(ServiceKey(service.id, service.code, service.prefix), others=others)
    if issues:
        # Bad input rather than a conflict (issue #3): the fix is in the request, a free prefix or code.
        raise InvalidInput(issues)

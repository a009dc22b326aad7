"""Use cases for counters (loket): a desk of one agency at one site, serving some of its services."""

from uuid import UUID, uuid4

from antre_platform.clock import Clock

from registry.app.changes import check_version, patched, record_change
from registry.app.owners import check_owners
from registry.app.ports import RegistryStore, UnitOfWork
from registry.app.schemas import CounterCreate, CounterPublic, CounterUpdate
from registry.app.scope import readable_counter, require_writer
from registry.domain.access import Principal, listing_agency
from registry.domain.errors import Conflict, FieldIssue, InvalidInput
from registry.domain.rules import counter_service_issues


async def get(counter_id: UUID, *, uow: UnitOfWork, principal: Principal) -> CounterPublic:
    async with uow:
        return await readable_counter(uow.store, principal, counter_id)


async def find(
    *,
    uow: UnitOfWork,
    principal: Principal,
    site_id: UUID | None = None,
    agency_id: UUID | None = None,
    name: str | None = None,
) -> list[CounterPublic]:
    """Every counter for the admin; an agency's own for its key; its own counter for a staff token."""
    agency_id = listing_agency(principal, agency_id)
    async with uow:
        found = await uow.store.find_counters(site_id=site_id, agency_id=agency_id, name=name)
    if principal.kind == "staff":
        found = [counter for counter in found if counter.id == principal.counter_id]
    return found


async def create(
    command: CounterCreate, *, uow: UnitOfWork, clock: Clock, principal: Principal
) -> CounterPublic:
    require_writer(
        principal, agency_id=command.agency_id, what=f"creating a counter for agency {command.agency_id}"
    )
    async with uow:
        await check_owners(uow.store, site_id=command.site_id, agency_id=command.agency_id)
        counter = CounterPublic(id=uuid4(), **command.model_dump())
        await _check_services(uow.store, counter)
        await _check_name_free(uow.store, counter)
        at = clock.now()
        await uow.store.insert_counter(counter, at=at)
        await record_change(uow, before=None, after=counter, actor=principal.actor, at=at)
        return counter


async def update(
    counter_id: UUID,
    patch: CounterUpdate,
    *,
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    if_match: str | None = None,
) -> CounterPublic:
    async with uow:
        before = await readable_counter(uow.store, principal, counter_id, for_update=True)
        require_writer(principal, agency_id=before.agency_id, what="changing a counter")
        check_version(before, if_match)
        after = patched(before, patch)
        if after == before:
            return before
        if after.service_ids != before.service_ids:
            await _check_services(uow.store, after)
        await _check_name_free(uow.store, after)
        at = clock.now()
        await uow.store.update_counter(after, at=at)
        await record_change(uow, before=before, after=after, actor=principal.actor, at=at)
        return after


async def _check_services(store: RegistryStore, counter: CounterPublic) -> None:
    known = await store.service_refs(counter.service_ids)
    issues = counter_service_issues(
        site_id=counter.site_id, agency_id=counter.agency_id, service_ids=counter.service_ids, known=known
    )
    if issues:
        raise InvalidInput(issues)


async def _check_name_free(store: RegistryStore, counter: CounterPublic) -> None:
    for other in await store.find_counters(site_id=counter.site_id, name=counter.name):
        if other.id != counter.id:
            raise Conflict(
                [
                    FieldIssue(
                        "name",
                        f'a counter named "{counter.name}" already exists at this site; choose another name',
                    )
                ]
            )

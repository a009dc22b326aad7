"""Use cases for sites: an MPP building or an outreach point such as a Car Free Day stall."""

from uuid import UUID, uuid4

from antre_platform.clock import Clock

from registry.app.changes import check_version, patched, record_change
from registry.app.ports import RegistryStore, UnitOfWork
from registry.app.schemas import SiteCreate, SitePublic, SiteUpdate
from registry.domain.access import Principal, admin_only
from registry.domain.errors import Conflict, FieldIssue, NotFound


async def require(store: RegistryStore, site_id: UUID, *, for_update: bool = False) -> SitePublic:
    site = await store.get_site(site_id, for_update=for_update)
    if site is None:
        raise NotFound("site", site_id)
    return site


async def get(site_id: UUID, *, uow: UnitOfWork) -> SitePublic:
    async with uow:
        return await require(uow.store, site_id)


async def find(*, uow: UnitOfWork, code: str | None = None) -> list[SitePublic]:
    async with uow:
        return await uow.store.find_sites(code=code)


async def create(command: SiteCreate, *, uow: UnitOfWork, clock: Clock, principal: Principal) -> SitePublic:
    admin_only(principal, "creating a site")
    async with uow:
        taken = await uow.store.find_sites(code=command.code)
        if taken:
            raise Conflict(
                [
                    FieldIssue(
                        "code",
                        f'site code {command.code} is already used by "{taken[0].name}"; choose another code',
                    )
                ]
            )
        site = SitePublic(id=uuid4(), **command.model_dump())
        at = clock.now()
        await uow.store.insert_site(site, at=at)
        await record_change(uow, before=None, after=site, actor=principal.actor, at=at)
        return site


async def update(
    site_id: UUID,
    patch: SiteUpdate,
    *,
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    if_match: str | None = None,
) -> SitePublic:
    admin_only(principal, "changing a site")
    async with uow:
        before = await require(uow.store, site_id, for_update=True)
        check_version(before, if_match)
        after = patched(before, patch)
        if after == before:
            return before
        at = clock.now()
        await uow.store.update_site(after, at=at)
        await record_change(uow, before=before, after=after, actor=principal.actor, at=at)
        return after

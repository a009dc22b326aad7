"""Use cases for journeys (alur): an ordered bundle of services that one ticket walks through."""

from uuid import UUID, uuid4

from antre_platform.clock import Clock

from registry.app.changes import record_change
from registry.app.owners import check_owners
from registry.app.ports import UnitOfWork
from registry.app.schemas import JourneyCreate, JourneyPublic
from registry.domain.access import Principal, admin_only
from registry.domain.errors import Conflict, FieldIssue, InvalidInput, NotFound
from registry.domain.rules import journey_step_issues


async def get(journey_id: UUID, *, uow: UnitOfWork) -> JourneyPublic:
    async with uow:
        journey = await uow.store.get_journey(journey_id)
        if journey is None:
            raise NotFound("journey", journey_id)
        return journey


async def find(
    *, uow: UnitOfWork, site_id: UUID | None = None, code: str | None = None
) -> list[JourneyPublic]:
    async with uow:
        return await uow.store.find_journeys(site_id=site_id, code=code)


async def create(
    command: JourneyCreate, *, uow: UnitOfWork, clock: Clock, principal: Principal
) -> JourneyPublic:
    admin_only(principal, "creating a journey")
    async with uow:
        store = uow.store
        await check_owners(store, site_id=command.site_id)
        issues = journey_step_issues(
            site_id=command.site_id, steps=command.steps, known=await store.service_refs(command.steps)
        )
        if issues:
            raise InvalidInput(issues)
        if await store.find_journeys(site_id=command.site_id, code=command.code):
            raise Conflict(
                [
                    FieldIssue(
                        "code",
                        f"journey code {command.code} is already used at this site; choose another code",
                    )
                ]
            )
        journey = JourneyPublic(id=uuid4(), **command.model_dump())
        at = clock.now()
        await store.insert_journey(journey, at=at)
        await record_change(uow, before=None, after=journey, actor=principal.actor, at=at)
        return journey

"""Use cases for agencies (instansi) and their API keys."""

import secrets
from uuid import UUID, uuid4

from antre_platform.clock import Clock

from registry.app.changes import record_change
from registry.app.ports import RegistryStore, UnitOfWork
from registry.app.schemas import AgencyCreate, AgencyPublic, ApiKeyCreate, ApiKeyIssued
from registry.domain.api_keys import ENTROPY_BYTES, mint_api_key
from registry.domain.errors import Conflict, FieldIssue, NotFound


async def require(store: RegistryStore, agency_id: UUID) -> AgencyPublic:
    agency = await store.get_agency(agency_id)
    if agency is None:
        raise NotFound("agency", agency_id)
    return agency


async def get(agency_id: UUID, *, uow: UnitOfWork) -> AgencyPublic:
    async with uow:
        return await require(uow.store, agency_id)


async def find(*, uow: UnitOfWork, code: str | None = None) -> list[AgencyPublic]:
    async with uow:
        return await uow.store.find_agencies(code=code)


async def create(command: AgencyCreate, *, uow: UnitOfWork, clock: Clock, actor: str) -> AgencyPublic:
    async with uow:
        taken = await uow.store.find_agencies(code=command.code)
        if taken:
            raise Conflict(
                [
                    FieldIssue(
                        "code",
                        f'agency code {command.code} is already used by "{taken[0].name}"; '
                        "choose another code",
                    )
                ]
            )
        agency = AgencyPublic(id=uuid4(), **command.model_dump())
        at = clock.now()
        await uow.store.insert_agency(agency, at=at)
        await record_change(uow, before=None, after=agency, actor=actor, at=at)
        return agency


async def issue_api_key(
    agency_id: UUID, command: ApiKeyCreate, *, uow: UnitOfWork, clock: Clock, actor: str
) -> ApiKeyIssued:
    """A new key for the agency; only its hash is kept, so this answer is the only copy."""
    async with uow:
        await require(uow.store, agency_id)
        minted = mint_api_key(secrets.token_bytes(ENTROPY_BYTES + 4))
        issued = ApiKeyIssued(
            id=uuid4(),
            agency_id=agency_id,
            prefix=minted.prefix,
            key=minted.key,
            label=command.label,
            created_at=clock.now(),
        )
        await uow.store.insert_api_key(
            key_id=issued.id, agency_id=agency_id, minted=minted, label=command.label, at=issued.created_at
        )
        await uow.store.audit(
            at=issued.created_at,
            actor=actor,
            action="issue_api_key",
            entity="agency",
            entity_id=agency_id,
            before=None,
            after={"api_key_id": str(issued.id), "prefix": minted.prefix, "label": command.label},
        )
        return issued

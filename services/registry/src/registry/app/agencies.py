"""Use cases for agencies (instansi) and their API keys."""

import secrets
from uuid import UUID, uuid4

from antre_platform.clock import Clock

from registry.app.changes import record_change
from registry.app.ports import RegistryStore, UnitOfWork
from registry.app.schemas import (
    AgencyCreate,
    AgencyPublic,
    ApiKeyCreate,
    ApiKeyIssued,
    ApiKeyPublic,
    CredentialPublic,
)
from registry.domain.access import Principal, admin_only, may_read_owned
from registry.domain.api_keys import ENTROPY_BYTES, mint_api_key
from registry.domain.errors import Conflict, FieldIssue, NotFound


async def require(store: RegistryStore, agency_id: UUID) -> AgencyPublic:
    agency = await store.get_agency(agency_id)
    if agency is None:
        raise NotFound("agency", agency_id)
    return agency


async def get(agency_id: UUID, *, uow: UnitOfWork, principal: Principal) -> AgencyPublic:
    """The admin reads any agency; a key or staff token only its own (others: 404)."""
    if not may_read_owned(principal, agency_id=agency_id):
        raise NotFound("agency", agency_id)
    async with uow:
        return await require(uow.store, agency_id)


async def find(*, uow: UnitOfWork, principal: Principal, code: str | None = None) -> list[AgencyPublic]:
    admin_only(principal, "listing agencies")
    async with uow:
        return await uow.store.find_agencies(code=code)


async def create(
    command: AgencyCreate, *, uow: UnitOfWork, clock: Clock, principal: Principal
) -> AgencyPublic:
    admin_only(principal, "creating an agency")
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
        await record_change(uow, before=None, after=agency, actor=principal.actor, at=at)
        return agency


async def issue_api_key(
    agency_id: UUID, command: ApiKeyCreate, *, uow: UnitOfWork, clock: Clock, principal: Principal
) -> ApiKeyIssued:
    """A new key for the agency; only its hash is kept, so this answer is the only copy."""
    admin_only(principal, "issuing an agency API key")
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
        credential = CredentialPublic(
            id=issued.id,
            kind="agency_key",
            agency_id=agency_id,
            counter_id=None,
            prefix=minted.prefix,
            sha256=minted.key_hash,
            active=True,
            created_at=issued.created_at,
            revoked_at=None,
        )
        await record_change(uow, before=None, after=credential, actor=principal.actor, at=issued.created_at)
        return issued


async def list_api_keys(agency_id: UUID, *, uow: UnitOfWork, principal: Principal) -> list[ApiKeyPublic]:
    admin_only(principal, "listing an agency's API keys")
    async with uow:
        await require(uow.store, agency_id)
        return await uow.store.list_api_keys(agency_id)


async def revoke_api_key(
    agency_id: UUID, key_id: UUID, *, uow: UnitOfWork, clock: Clock, principal: Principal
) -> None:
    """The key stops working at once here, and elsewhere as soon as its event arrives.
    Revoking a revoked key again changes nothing."""
    admin_only(principal, "revoking an agency API key")
    async with uow:
        await require(uow.store, agency_id)
        before = await uow.store.api_key_credential(agency_id, key_id)
        if before is None:
            raise NotFound("API key", key_id)
        if not before.active:
            return
        at = clock.now()
        await uow.store.revoke_api_key(key_id, at=at)
        after = before.model_copy(update={"active": False, "revoked_at": at})
        await record_change(uow, before=before, after=after, actor=principal.actor, at=at)

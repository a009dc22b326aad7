"""Use cases for staff tokens: what a counter officer (petugas loket) signs in with.

The owning agency (or the admin) issues them per counter; the registry lets a staff token
read its counter and that counter's services, and announces each token (its hash, never
the token) so ticketing can accept it for the counter's actions.
"""

import secrets
from uuid import UUID, uuid4

from antre_platform.clock import Clock

from registry.app.changes import record_change
from registry.app.ports import UnitOfWork
from registry.app.schemas import CredentialPublic, StaffTokenCreate, StaffTokenIssued, StaffTokenPublic
from registry.app.scope import readable_counter, require_writer
from registry.domain.access import Principal
from registry.domain.api_keys import ENTROPY_BYTES, mint_staff_token
from registry.domain.errors import NotFound


async def issue(
    counter_id: UUID, command: StaffTokenCreate, *, uow: UnitOfWork, clock: Clock, principal: Principal
) -> StaffTokenIssued:
    async with uow:
        counter = await readable_counter(uow.store, principal, counter_id, for_update=True)
        require_writer(principal, agency_id=counter.agency_id, what="issuing a staff token")
        minted = mint_staff_token(secrets.token_bytes(ENTROPY_BYTES + 4))
        at = clock.now()
        issued = StaffTokenIssued(
            id=uuid4(),
            counter_id=counter.id,
            agency_id=counter.agency_id,
            prefix=minted.prefix,
            token=minted.key,
            label=command.label,
            created_at=at,
        )
        await uow.store.insert_staff_token(
            token_id=issued.id, counter=counter, minted=minted, label=command.label, at=at
        )
        credential = CredentialPublic(
            id=issued.id,
            kind="staff_token",
            agency_id=counter.agency_id,
            counter_id=counter.id,
            site_id=counter.site_id,
            prefix=minted.prefix,
            sha256=minted.key_hash,
            active=True,
            created_at=at,
            revoked_at=None,
        )
        await record_change(uow, before=None, after=credential, actor=principal.actor, at=at)
        return issued


async def find(counter_id: UUID, *, uow: UnitOfWork, principal: Principal) -> list[StaffTokenPublic]:
    async with uow:
        counter = await readable_counter(uow.store, principal, counter_id)
        require_writer(principal, agency_id=counter.agency_id, what="listing a counter's staff tokens")
        return await uow.store.list_staff_tokens(counter_id)


async def revoke(
    counter_id: UUID, token_id: UUID, *, uow: UnitOfWork, clock: Clock, principal: Principal
) -> None:
    """Revoking a revoked token again changes nothing."""
    async with uow:
        counter = await readable_counter(uow.store, principal, counter_id)
        require_writer(principal, agency_id=counter.agency_id, what="revoking a staff token")
        before = await uow.store.staff_token_credential(counter_id, token_id)
        if before is None:
            raise NotFound("staff token", token_id)
        if not before.active:
            return
        at = clock.now()
        await uow.store.revoke_staff_token(token_id, at=at)
        after = before.model_copy(update={"active": False, "revoked_at": at})
        await record_change(uow, before=before, after=after, actor=principal.actor, at=at)

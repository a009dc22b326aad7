"""Reading the audit log: who changed what, when, and how it looked before and after."""

from datetime import datetime
from uuid import UUID

from registry.app.ports import UnitOfWork
from registry.app.schemas import AuditEntry
from registry.domain.access import Principal, admin_only


async def find(
    *,
    uow: UnitOfWork,
    principal: Principal,
    entity: str | None = None,
    entity_id: UUID | None = None,
    since: datetime | None = None,
    limit: int = 500,
) -> list[AuditEntry]:
    admin_only(principal, "reading the audit log")
    async with uow:
        return await uow.store.find_audit(entity=entity, entity_id=entity_id, since=since, limit=limit)

"""Every change to the registry is audited and announced as ``registry.changed``.

Both are written through the unit of work, so they commit with the change itself or not
at all: consumers never hear of a change that was rolled back, nor miss one that stuck.
"""

import hashlib
import json
from datetime import datetime
from typing import TypeVar

from antre_contracts import new_event
from antre_contracts.events import RegistryChanged, RegistryEntity
from pydantic import BaseModel

from registry.app.ports import UnitOfWork
from registry.app.schemas import (
    AgencyPublic,
    CounterPublic,
    CredentialPublic,
    Entity,
    JourneyPublic,
    ServicePublic,
    SitePublic,
)
from registry.domain.errors import StaleVersion

SOURCE = "antre/registry"
# Agencies are not tied to one site; their events are keyed to the whole platform.
PLATFORM_SITE = "platform"

EntityT = TypeVar("EntityT", SitePublic, AgencyPublic, ServicePublic, CounterPublic, JourneyPublic)


_KINDS: dict[type[Entity], RegistryEntity] = {
    SitePublic: "site",
    AgencyPublic: "agency",
    ServicePublic: "service",
    CounterPublic: "counter",
    JourneyPublic: "journey",
    CredentialPublic: "credential",
}


def event_site_id(entity: Entity) -> str:
    if isinstance(entity, AgencyPublic):
        return PLATFORM_SITE
    if isinstance(entity, CredentialPublic):
        return PLATFORM_SITE if entity.site_id is None else str(entity.site_id)
    if isinstance(entity, SitePublic):
        return str(entity.id)
    return str(entity.site_id)


async def record_change(
    uow: UnitOfWork,
    *,
    before: Entity | None,
    after: Entity | None,
    actor: str,
    at: datetime,
) -> None:
    """Audit and announce one create (no ``before``), update, or delete (no ``after``)."""
    current = after if after is not None else before
    if current is None:
        raise ValueError("a change needs a state before or after it")
    kind = _KINDS[type(current)]
    action = "create" if before is None else "delete" if after is None else "update"
    if kind == "credential":
        # Credentials are only ever issued or revoked.
        action = "issue" if before is None else "revoke"
    await uow.store.audit(
        at=at,
        actor=actor,
        action=action,
        entity=kind,
        entity_id=current.id,
        before=before.model_dump(mode="json") if before else None,
        after=after.model_dump(mode="json") if after else None,
    )
    data = RegistryChanged(
        entity=kind,
        id=current.id,
        op="delete" if after is None else "upsert",
        state=current.model_dump(mode="json"),
    )
    await uow.publish(
        new_event(
            type="registry.changed",
            source=SOURCE,
            site_id=event_site_id(current),
            data=data,
            time=at,
            subject=current.id,
        )
    )


def patched(current: EntityT, patch: BaseModel) -> EntityT:
    """``current`` with the fields the PATCH body named (validated already by its schema)."""
    return current.model_copy(update=patch.model_dump(exclude_unset=True))


def etag(entity: BaseModel) -> str:
    """A strong validator of the entity as the API returns it: equal state, equal ETag."""
    canonical = json.dumps(entity.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return f'"{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"'


def check_version(current: BaseModel, if_match: str | None) -> None:
    """Refuse a write based on an older read; without ``If-Match`` the last write wins."""
    if if_match is None:
        return
    wanted = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" not in wanted and etag(current) not in wanted:
        raise StaleVersion(
            "this entity was changed since you read it (If-Match does not match its ETag); "
            "GET it again, re-apply your change to what it is now, and retry with the new ETag"
        )

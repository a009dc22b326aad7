"""Who may read and write what in the registry (the scope rules, free of I/O).

Three kinds of caller (a "principal"):
- the platform admin: everything;
- an agency, through one of its API keys (``ak_live_...``): reads every site and journey (they
  are public in the catalog anyway), reads and writes its own services and counters, and
  issues and revokes staff tokens for its own counters;
- a counter officer, through a staff token (``st_...``): reads its counter, the services
  that counter serves, sites and journeys; writes nothing in the registry.

One rule decides between 403 and 404, everywhere: a principal that may not *read* an entity
is told it does not exist (404), so an agency cannot probe for another agency's services by
id; a principal that may read an entity or kind but not change it gets 403, which says
whose credential is needed.
"""

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from registry.domain.errors import OutOfScope

PrincipalKind = Literal["admin", "agency", "staff"]


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    # How the audit log names the caller: "admin", or the visible prefix of the key or token.
    actor: str
    agency_id: UUID | None = None
    counter_id: UUID | None = None
    credential_id: UUID | None = None

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"


ADMIN = Principal(kind="admin", actor="admin")


def may_read_owned(principal: Principal, *, agency_id: UUID) -> bool:
    """A service or counter of ``agency_id``, for anyone but a staff token (see below)."""
    return principal.is_admin or principal.agency_id == agency_id


def may_read_service(
    principal: Principal, *, agency_id: UUID, service_id: UUID, counter_services: list[UUID]
) -> bool:
    if principal.kind == "staff":
        return service_id in counter_services
    return may_read_owned(principal, agency_id=agency_id)


def may_read_counter(principal: Principal, *, agency_id: UUID, counter_id: UUID) -> bool:
    if principal.kind == "staff":
        return principal.counter_id == counter_id
    return may_read_owned(principal, agency_id=agency_id)


def may_write_owned(principal: Principal, *, agency_id: UUID) -> bool:
    """Create, change or delete a service or counter of ``agency_id``; staff never write."""
    return principal.is_admin or (principal.kind == "agency" and principal.agency_id == agency_id)


def listing_agency(principal: Principal, requested: UUID | None) -> UUID | None:
    """The agency a listing of services or counters is limited to (None: every agency).

    An agency key always lists its own; asking for another agency's is out of scope.
    """
    if principal.is_admin:
        return requested
    if requested is not None and requested != principal.agency_id:
        raise OutOfScope(
            f"this credential lists only agency {principal.agency_id}'s own entries; "
            "drop the agency_id filter or use that agency's id"
        )
    return principal.agency_id


def admin_only(principal: Principal, what: str) -> None:
    if not principal.is_admin:
        raise OutOfScope(f"{what} needs the platform admin token; an agency key or staff token cannot do it")


def writer_only(principal: Principal, what: str) -> None:
    if principal.kind == "staff":
        raise OutOfScope(
            f"{what}: a staff token can only read its counter; use the agency's key or the admin token"
        )

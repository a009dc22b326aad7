"""The site and agency a new service, counter or journey belongs to must exist."""

from uuid import UUID

from registry.app.ports import RegistryStore
from registry.domain.errors import FieldIssue, InvalidInput


async def check_owners(store: RegistryStore, *, site_id: UUID, agency_id: UUID | None = None) -> None:
    """Raises :class:`InvalidInput` naming each owner id that points at nothing."""
    issues = []
    if await store.get_site(site_id) is None:
        issues.append(FieldIssue("site_id", f"no site with id {site_id}; use an id from GET /v1/sites"))
    if agency_id is not None and await store.get_agency(agency_id) is None:
        issues.append(
            FieldIssue("agency_id", f"no agency with id {agency_id}; use an id from GET /v1/agencies")
        )
    if issues:
        raise InvalidInput(issues)

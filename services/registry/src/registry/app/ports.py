"""What the use cases need from storage: a store of registry entities inside a unit of work.

The PostgreSQL adapter implements these; a use case never commits on its own, so a state
change, its audit entry and its ``registry.changed`` event always commit together.
"""

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self
from uuid import UUID

from antre_contracts import CloudEvent

from registry.app.schemas import (
    AgencyPublic,
    ApiKeyPublic,
    AuditEntry,
    CounterPublic,
    CredentialPublic,
    JourneyPublic,
    ServicePublic,
    SitePublic,
    StaffTokenPublic,
)
from registry.domain.api_keys import MintedKey
from registry.domain.rules import ServiceRef


class RegistryStore(Protocol):
    async def get_site(self, site_id: UUID, *, for_update: bool = False) -> SitePublic | None: ...
    async def find_sites(self, *, code: str | None = None) -> list[SitePublic]: ...
    async def insert_site(self, site: SitePublic, *, at: datetime) -> None: ...
    async def update_site(self, site: SitePublic, *, at: datetime) -> None: ...

    async def get_agency(self, agency_id: UUID) -> AgencyPublic | None: ...
    async def find_agencies(
        self, *, code: str | None = None, ids: Sequence[UUID] | None = None
    ) -> list[AgencyPublic]: ...
    async def insert_agency(self, agency: AgencyPublic, *, at: datetime) -> None: ...
    async def insert_api_key(
        self, *, key_id: UUID, agency_id: UUID, minted: MintedKey, label: str | None, at: datetime
    ) -> None: ...

    async def list_api_keys(self, agency_id: UUID) -> list[ApiKeyPublic]: ...
    async def api_key_credential(self, agency_id: UUID, key_id: UUID) -> CredentialPublic | None:
        """The key of this agency as a credential, locked for update; None if there is none."""
        ...

    async def revoke_api_key(self, key_id: UUID, *, at: datetime) -> None: ...

    async def insert_staff_token(
        self, *, token_id: UUID, counter: CounterPublic, minted: MintedKey, label: str | None, at: datetime
    ) -> None: ...
    async def list_staff_tokens(self, counter_id: UUID) -> list[StaffTokenPublic]: ...
    async def staff_token_credential(self, counter_id: UUID, token_id: UUID) -> CredentialPublic | None: ...
    async def revoke_staff_token(self, token_id: UUID, *, at: datetime) -> None: ...

    async def get_service(self, service_id: UUID, *, for_update: bool = False) -> ServicePublic | None: ...
    async def find_services(
        self,
        *,
        site_id: UUID | None = None,
        agency_id: UUID | None = None,
        code: str | None = None,
    ) -> list[ServicePublic]: ...
    async def service_refs(self, service_ids: Sequence[UUID]) -> dict[UUID, ServiceRef]: ...
    async def service_users(self, service_id: UUID) -> tuple[list[str], list[str]]:
        """Names of the counters serving it and codes of the journeys using it."""
        ...

    async def insert_service(self, service: ServicePublic, *, at: datetime) -> None: ...
    async def update_service(self, service: ServicePublic, *, at: datetime) -> None: ...
    async def delete_service(self, service_id: UUID) -> None: ...

    async def get_counter(self, counter_id: UUID, *, for_update: bool = False) -> CounterPublic | None: ...
    async def find_counters(
        self, *, site_id: UUID | None = None, agency_id: UUID | None = None, name: str | None = None
    ) -> list[CounterPublic]: ...
    async def insert_counter(self, counter: CounterPublic, *, at: datetime) -> None: ...
    async def update_counter(self, counter: CounterPublic, *, at: datetime) -> None: ...

    async def get_journey(self, journey_id: UUID) -> JourneyPublic | None: ...
    async def find_journeys(
        self, *, site_id: UUID | None = None, code: str | None = None
    ) -> list[JourneyPublic]: ...
    async def insert_journey(self, journey: JourneyPublic, *, at: datetime) -> None: ...

    async def find_audit(
        self, *, entity: str | None, entity_id: UUID | None, since: datetime | None, limit: int
    ) -> list[AuditEntry]: ...

    async def audit(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        entity: str,
        entity_id: UUID,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None: ...


class UnitOfWork(Protocol):
    """``async with uow:`` opens a transaction; it commits on a clean exit, else rolls back."""

    @property
    def store(self) -> RegistryStore: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def publish(self, event: CloudEvent) -> None:
        """Add ``event`` to the outbox, in this unit of work's transaction."""
        ...

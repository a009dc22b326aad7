"""What the use cases need from the outside world; adapters implement these."""

from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol
from uuid import UUID

from antre_contracts import CloudEvent

from notify.domain.model import (
    Call,
    DeliveryStatus,
    InboundMessage,
    OutboundDraft,
    OutboundMessage,
    Recipient,
    ServiceInfo,
    SiteInfo,
    StatusUpdate,
    Ticket,
)
from notify.domain.texts import Eta


class NotifyStore(Protocol):
    async def lock_ticket(self, ticket_id: UUID) -> None: ...
    async def lock_wamid(self, wamid: str) -> None: ...
    async def save_registry_entity(
        self, *, entity: str, entity_id: UUID, state: dict[str, Any], deleted: bool, changed_at: datetime
    ) -> None: ...
    async def site_info(self, site_id: UUID) -> SiteInfo | None: ...
    async def service_info(self, service_id: UUID) -> ServiceInfo | None: ...
    async def counter_name(self, counter_id: UUID) -> str | None: ...

    async def add_ticket(self, ticket: Ticket) -> None: ...
    async def ticket(self, ticket_id: UUID) -> Ticket | None: ...
    async def save_estimate(
        self, *, ticket_id: UUID, service_id: UUID, position: int, eta: Eta, at: datetime
    ) -> None: ...
    async def eta(self, ticket_id: UUID) -> Eta | None: ...
    async def add_call(self, call: Call) -> None: ...
    async def latest_call(self, ticket_id: UUID) -> Call | None: ...
    async def add_recipient(self, recipient: Recipient, *, at: datetime) -> bool: ...
    async def recipient(self, ticket_id: UUID) -> Recipient | None: ...
    async def tickets_awaiting_issued_message(
        self,
        *,
        now: datetime,
        limit: int,
        due_only: bool = True,
        site_id: UUID | None = None,
        service_id: UUID | None = None,
    ) -> list[UUID]: ...

    async def add_outbound(self, draft: OutboundDraft, *, now: datetime) -> UUID | None: ...
    async def claim_due(self, *, now: datetime, lease: timedelta, limit: int) -> list[OutboundMessage]: ...
    async def mark_sent(self, message_id: UUID, *, wamid: str, tries: int, now: datetime) -> None: ...
    async def mark_failed(
        self, message_id: UUID, *, code: int | None, title: str, tries: int, now: datetime
    ) -> None: ...
    async def mark_expired(self, message_id: UUID) -> None: ...
    async def release(
        self, message_id: UUID, *, next_attempt_at: datetime, code: int | None, title: str, tries: int
    ) -> None: ...
    async def messages_for_ticket(self, ticket_id: UUID) -> list[dict[str, Any]]: ...

    async def add_inbound(self, message: InboundMessage, *, received_at: datetime) -> bool: ...
    async def add_status(self, update: StatusUpdate, *, received_at: datetime) -> bool: ...
    async def statuses_for(self, wamid: str) -> list[StatusUpdate]: ...
    async def outbound_by_wamid(self, wamid: str) -> OutboundMessage | None: ...
    async def set_delivery(
        self, message_id: UUID, *, status: DeliveryStatus, update: StatusUpdate
    ) -> None: ...


class UnitOfWork(Protocol):
    """One transaction: the store's changes, inbox marks and outbox events commit together."""

    @property
    def store(self) -> NotifyStore: ...

    async def __aenter__(self) -> "UnitOfWork": ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def first_delivery(self, event_id: UUID) -> bool: ...
    async def publish(self, event: CloudEvent) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class SendError(Exception):
    def __init__(self, *, status: int | None, code: int | None, title: str) -> None:
        super().__init__(title)
        self.status = status
        self.code = code
        self.title = title

    @property
    def error_code(self) -> int | None:
        """Meta's error code when it gave one, else the HTTP status."""
        return self.code if self.code is not None else self.status


class TransientSendError(SendError):
    """Try again later: throttled, Meta's side failed, or the network did."""


class RejectedSendError(SendError):
    """Meta refused this message; sending it again would be refused again."""


class MessageSender(Protocol):
    async def send_text(self, *, to_wa_id: str, body: str) -> str:
        """Send one text; returns its WhatsApp message id (wamid) or raises a SendError."""
        ...

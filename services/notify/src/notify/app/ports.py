"""What the use cases need from the outside world; adapters implement these."""

from collections.abc import Mapping
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol
from uuid import UUID

from antre_contracts import CloudEvent

from notify.domain.conversation import CatalogService, ConversationState
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
from notify.domain.phone import PhoneNumber
from notify.domain.texts import Eta, Locale


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
    async def claim_due(
        self, *, now: datetime, lease: timedelta, limit: int, window: timedelta = ...
    ) -> list[OutboundMessage]: ...
    async def mark_sent(self, message_id: UUID, *, wamid: str, tries: int, now: datetime) -> None: ...
    async def mark_failed(
        self, message_id: UUID, *, code: int | None, title: str, tries: int, now: datetime
    ) -> None: ...
    async def mark_expired(self, message_id: UUID) -> None: ...
    async def release(
        self, message_id: UUID, *, next_attempt_at: datetime, code: int | None, title: str, tries: int
    ) -> None: ...
    async def messages_for_ticket(self, ticket_id: UUID) -> list[dict[str, Any]]: ...

    async def conversation(self, phone: PhoneNumber) -> ConversationState: ...
    async def save_conversation(
        self,
        phone: PhoneNumber,
        state: ConversationState,
        *,
        now: datetime,
        inbound_at: datetime | None = None,
    ) -> None: ...
    async def opted_out(self, phone: PhoneNumber) -> bool: ...
    async def withdraw_unsent(self, phone: PhoneNumber) -> int: ...
    async def site_by_code(self, code: str) -> UUID | None: ...
    async def catalog(self, site_id: UUID) -> tuple[CatalogService, ...]: ...
    async def save_forecast(
        self,
        *,
        service_id: UUID,
        waiting: int,
        open_counters: int,
        wait_p50: float,
        wait_p90: float,
        at: datetime,
    ) -> None: ...
    async def add_action(
        self, *, wamid: str, phone: PhoneNumber, action: dict[str, Any], locale: Locale, now: datetime
    ) -> None: ...
    async def claim_actions(
        self, *, now: datetime, lease: timedelta, limit: int
    ) -> list[tuple[str, PhoneNumber, dict[str, Any], Locale, int]]: ...
    async def finish_action(self, wamid: str) -> None: ...
    async def retry_action(self, wamid: str, *, next_attempt_at: datetime) -> None: ...
    async def add_citizen_ticket(
        self,
        *,
        ticket_id: UUID,
        phone: PhoneNumber,
        service_id: UUID,
        number: str,
        access_token: str,
        now: datetime,
    ) -> None: ...
    async def latest_citizen_ticket(self, phone: PhoneNumber) -> tuple[UUID, str, UUID, str] | None: ...

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

    async def send_interactive(self, *, to_wa_id: str, interactive: Mapping[str, Any]) -> str:
        """Send one list or reply-buttons message; returns its wamid or raises a SendError."""
        ...

    async def send_template(self, *, to_wa_id: str, template: Mapping[str, Any]) -> str:
        """Send one approved template (outside the 24-hour window); returns its wamid."""
        ...


class TicketingUnavailable(Exception):
    """Ticketing did not answer usefully (network, 5xx, 429): try the action again later."""


class TicketingRefused(Exception):
    """Ticketing said no (4xx): quota reached, anti-tout limit, not cancellable, ..."""

    def __init__(self, *, status: int, detail: str | None) -> None:
        super().__init__(detail or f"HTTP {status}")
        self.status = status
        self.detail = detail


class TicketingApi(Protocol):
    async def take(
        self, *, service_id: UUID, phone: str, locale: str, travel_minutes: int, idempotency_key: str
    ) -> Any: ...
    async def view(self, ticket_id: UUID, *, access_token: str) -> Any: ...
    async def cancel(self, ticket_id: UUID, *, access_token: str) -> Any: ...
    async def rejoin(self, ticket_id: UUID, *, access_token: str) -> Any: ...

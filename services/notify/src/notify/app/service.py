"""The notify application as its entrypoints see it: use cases bound to their dependencies."""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal
from uuid import UUID

from antre_contracts import CloudEvent
from antre_platform.clock import Clock

from notify.app import handlers
from notify.app.conversation import ActionPolicy, perform_due_actions
from notify.app.ports import TicketingApi, UnitOfWorkFactory
from notify.app.sender import OutboundSender
from notify.domain.model import InboundMessage, StatusUpdate, Timing

log = logging.getLogger(__name__)


@dataclass
class Notify:
    uow: UnitOfWorkFactory
    clock: Clock
    timing: Timing
    unseal: Callable[[str], bytes]
    site_code: str = "MPP-KPG"
    action_policy: ActionPolicy = field(default_factory=ActionPolicy)
    ticketing: TicketingApi | None = field(default=None)
    sender: OutboundSender | None = field(default=None)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _actions_due: asyncio.Event = field(default_factory=asyncio.Event)

    def _created(self, count: int) -> None:
        if count and self.sender is not None:
            self.sender.wake()

    async def handle_event(self, event: CloudEvent) -> None:
        self._created(await handlers.handle_event(event, uow=self.uow, clock=self.clock, timing=self.timing))

    async def record_recipient(
        self,
        *,
        ticket_id: UUID,
        site_id: UUID,
        sealed_phone: str,
        locale: Literal["id", "en"],
        status_url: str | None = None,
    ) -> None:
        self._created(
            await handlers.record_recipient(
                ticket_id=ticket_id,
                site_id=site_id,
                sealed_phone=sealed_phone,
                locale=locale,
                status_url=status_url,
                unseal=self.unseal,
                uow=self.uow,
                clock=self.clock,
                timing=self.timing,
            )
        )

    async def record_webhook(self, *, inbound: list[InboundMessage], statuses: list[StatusUpdate]) -> None:
        self._created(
            await handlers.record_webhook(
                inbound=inbound,
                statuses=statuses,
                uow=self.uow,
                clock=self.clock,
                timing=self.timing,
                site_code=self.site_code,
            )
        )
        if inbound:
            self._actions_due.set()

    async def notifications(self, ticket_id: UUID) -> list[dict[str, Any]]:
        async with self.uow() as work:
            return await work.store.messages_for_ticket(ticket_id)

    async def compose_due(self) -> None:
        self._created(
            await handlers.compose_due_issued_messages(uow=self.uow, clock=self.clock, timing=self.timing)
        )
        self._created(await handlers.fire_due_reminders(uow=self.uow, clock=self.clock))

    async def run_compose_loop(self, poll_seconds: float) -> None:
        """Give up waiting for estimates that did not come (the 30-second rule)."""
        while not self._stopping.is_set():
            try:
                await self.compose_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # PostgreSQL away or a bug: the next round tries again
                log.exception("composing due 'issued' messages failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), poll_seconds)

    async def purge(self, retention: timedelta) -> int:
        """Remove phone numbers older than the retention period (privacy)."""
        async with self.uow() as work:
            purged = await work.store.purge_phones(before=self.clock.now() - retention)
        if purged:
            log.info("retention: purged %d row(s) holding phone numbers", purged)
        return purged

    async def run_retention_loop(self, retention: timedelta, every_seconds: float) -> None:
        while not self._stopping.is_set():
            try:
                await self.purge(retention)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("retention purge failed; next round tries again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), every_seconds)

    async def perform_actions(self) -> None:
        if self.ticketing is None:
            return
        self._created(
            await perform_due_actions(
                uow=self.uow,
                ticketing=self.ticketing,
                now=self.clock.now(),
                timing=self.timing,
                policy=self.action_policy,
            )
        )

    async def run_action_loop(self, poll_seconds: float) -> None:
        """Carry out what citizens asked of ticketing (take, STATUS, BATAL, TUNDA); woken at
        once by the webhook, polled for retries and for actions left by a restart."""
        while not self._stopping.is_set():
            self._actions_due.clear()
            try:
                await self.perform_actions()
            except asyncio.CancelledError:
                raise
            except Exception:  # PostgreSQL away or a bug: the next round tries again
                log.exception("performing conversation actions failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._actions_due.wait(), poll_seconds)

    async def stop(self, grace: float) -> None:
        """Finish the current rounds instead of being cancelled mid-transaction."""
        self._stopping.set()
        self._actions_due.set()
        if self.sender is not None:
            await self.sender.drain(grace)

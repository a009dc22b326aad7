"""Ticketing's dependencies, wired once per app: what the entrypoints hand to the use cases."""

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from antre_contracts import CloudEvent
from antre_platform.clock import Clock
from antre_platform.service import ServiceRuntime

from ticketing.adapters.notify_client import NotifyRecipients
from ticketing.adapters.phone_sealer import NotifyPhoneSealer
from ticketing.adapters.postgres import PostgresHandoffQueue, PostgresIdempotencyKeys, PostgresUnitOfWork
from ticketing.app.credentials import CredentialCache
from ticketing.app.day_end import DayEndClosure
from ticketing.app.handoff import HandoffDelivery
from ticketing.app.idempotency_cleanup import IdempotencyKeyCleanup
from ticketing.app.issuing import IssuingRules, PhoneHash, RequestFingerprint
from ticketing.app.ports import Credential
from ticketing.app.registry_sync import apply_registry_change
from ticketing.domain.priority import PriorityPolicy
from ticketing.settings import Settings


@dataclass
class Ticketing:
    runtime: ServiceRuntime
    settings: Settings
    clock: Clock
    seal_phone: NotifyPhoneSealer = field(init=False)
    fingerprint: RequestFingerprint = field(init=False)
    hash_phone: PhoneHash = field(init=False)
    rules: IssuingRules = field(init=False)
    policy: PriorityPolicy = field(init=False)
    credentials: CredentialCache = field(init=False)
    handoff_wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.seal_phone = NotifyPhoneSealer(self.settings.notify_public_key)
        # The internal token is a secret this service already holds; reusing it keeps the
        # fingerprint unguessable without one more setting to deploy.
        self.fingerprint = RequestFingerprint(self.settings.internal_token)
        self.hash_phone = PhoneHash(self.settings.phone_hash_key)
        self.rules = IssuingRules(
            enforce_hours=self.settings.enforce_hours,
            max_waiting_per_phone_per_service=self.settings.max_waiting_per_phone_per_service,
            max_tickets_per_phone_per_day=self.settings.max_tickets_per_phone_per_day,
            idempotency_key_ttl=self.idempotency_key_ttl,
        )
        self.policy = PriorityPolicy(max_priority_run=self.settings.priority_max_run)
        self.credentials = CredentialCache(
            load=self._load_credential, ttl_seconds=self.settings.credential_cache_seconds
        )

    @property
    def idempotency_key_ttl(self) -> timedelta:
        return timedelta(hours=self.settings.idempotency_key_ttl_hours)

    @property
    def rejoin_grace(self) -> timedelta:
        return timedelta(minutes=self.settings.rejoin_grace_minutes)

    def uow(self) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(self.runtime.pool)

    def status_url(self, access_token: str) -> str:
        return f"{self.settings.public_base_url}/t/{access_token}"

    async def on_registry_event(self, event: CloudEvent) -> None:
        await apply_registry_change(event, uow=self.uow())
        if event.type == "registry.changed" and event.data.get("entity") == "credential":
            # After the commit: the next request reads the new state (a revoked key opens nothing).
            self.credentials.invalidate()

    async def _load_credential(self, sha256: str) -> Credential | None:
        async with self.uow() as uow:
            return await uow.catalog.credential(sha256)

    def idempotency_cleanup(self) -> IdempotencyKeyCleanup:
        return IdempotencyKeyCleanup(
            store=PostgresIdempotencyKeys(self.runtime.pool),
            clock=self.clock,
            ttl=self.idempotency_key_ttl,
            every_seconds=self.settings.idempotency_cleanup_seconds,
        )

    def day_end_closure(self) -> DayEndClosure:
        return DayEndClosure(
            uow=self.uow, clock=self.clock, every_seconds=self.settings.day_end_check_seconds
        )

    async def deliver_handoffs(self) -> None:
        """The hand-off loop, for ``runtime.spawn``; owns its HTTP client for its whole life."""
        async with httpx.AsyncClient(base_url=self.settings.notify_url, timeout=10.0) as client:
            delivery = HandoffDelivery(
                queue=PostgresHandoffQueue(self.runtime.pool),
                recipients=NotifyRecipients(
                    client, internal_token=self.settings.internal_token, status_url=self.status_url
                ),
                clock=self.clock,
                wakeup=self.handoff_wakeup,
                poll_seconds=self.settings.handoff_poll_seconds,
            )
            await delivery.run()

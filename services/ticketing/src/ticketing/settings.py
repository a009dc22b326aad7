"""Ticketing's settings, from ``ANTRE_*`` environment variables (see README.md)."""

import base64
import binascii

from antre_platform.settings import ServiceSettings
from pydantic import Field, field_validator


class Settings(ServiceSettings):
    http_port: int = 8002
    database_url: str = "postgresql://postgres@127.0.0.1:5432/ticketing"
    admin_token: str = "dev-only-admin-token"
    internal_token: str = "dev-only-internal-token"
    notify_url: str = "http://127.0.0.1:8004"
    notify_public_key: str = ""
    public_base_url: str = "http://127.0.0.1:8002"
    handoff_poll_seconds: float = 2.0
    # The hall pages read agency names from the registry and waits from estimation.
    registry_url: str = "http://127.0.0.1:8001"
    estimation_url: str = "http://127.0.0.1:8003"
    # How often the live stream looks at a site's queue (one query per site, shared by all screens).
    hall_poll_seconds: float = Field(default=0.5, gt=0)
    # Refuse tickets outside opening hours; the end-to-end stack turns it off (tests run at any hour).
    enforce_hours: bool = True
    rejoin_grace_minutes: int = Field(default=30, ge=0, le=24 * 60)
    # At most this many priority calls in a row while a regular ticket waits.
    priority_max_run: int = Field(default=2, ge=1, le=100)
    # Anti-tout (calo) limits, counted by a keyed hash of the phone number.
    phone_hash_key: str = "dev-only-phone-hash-key"
    max_waiting_per_phone_per_service: int = Field(default=1, ge=1)
    max_tickets_per_phone_per_day: int = Field(default=5, ge=1)
    # An Idempotency-Key replays its ticket this long; older keys are deleted every cleanup period.
    idempotency_key_ttl_hours: int = Field(default=48, ge=1, le=24 * 30)
    idempotency_cleanup_seconds: float = Field(default=600.0, gt=0)
    # How often tickets still waiting from a site's earlier local day are cancelled (by "system").
    day_end_check_seconds: float = Field(default=300.0, gt=0)
    # How long an agency key or staff token look-up is reused (0: look it up on every request).
    credential_cache_seconds: float = Field(default=5.0, ge=0, le=300)

    def secret_fields(self) -> tuple[str, ...]:
        # notify_public_key is not secret, but production without it cannot take phone numbers.
        return ("admin_token", "internal_token", "notify_public_key", "phone_hash_key")

    @field_validator("notify_public_key")
    @classmethod
    def _x25519_public_key(cls, value: str) -> str:
        if not value:
            return value
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        except (binascii.Error, ValueError) as exc:
            raise ValueError("ANTRE_NOTIFY_PUBLIC_KEY must be base64url (as notify prints it)") from exc
        if len(raw) != 32:
            raise ValueError("ANTRE_NOTIFY_PUBLIC_KEY must be a 32-byte X25519 public key, base64url")
        return value

    @field_validator("public_base_url", "notify_url", "registry_url", "estimation_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

"""Notify's settings, read from ``ANTRE_*`` environment variables (see README.md).

Every secret has a development default that contains ``dev-only``, so ``ANTRE_ENV=prod``
refuses to start until real values are set (``ServiceSettings`` checks ``secret_fields``).
"""

import base64
import binascii

from antre_platform.settings import ServiceSettings
from pydantic import Field, field_validator

# X25519 private key (base64url) of the development key pair. Its public half, which
# ticketing needs as ANTRE_NOTIFY_PUBLIC_KEY in dev, is
# P9E5O102LyPYb0Qen-BNxQ2Cd28HT7tRjRWdg8dOnlA (``antre_platform.sealed.public_key_of``).
DEV_NOTIFY_PRIVATE_KEY = "antre-dev-only-notify-private-key-x25519-kA"
DEV_PHONE_KEY = "antre-dev-only-phone-key-aes256gcm-notify0A"


def decode_key(text: str) -> bytes:
    """Base64 (standard or URL-safe alphabet, padding optional) to bytes."""
    compact = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    return base64.b64decode(compact + "=" * (-len(compact) % 4), altchars=b"-_", validate=True)


def _require_32_byte_key(name: str, value: str) -> str:
    try:
        raw = decode_key(value)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ValueError(
            f"ANTRE_{name.upper()} must be 32 random bytes in base64; generate one with "
            "python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'"
        )
    return value


class Settings(ServiceSettings):
    http_port: int = 8004
    database_url: str = "postgresql://postgres@127.0.0.1:5432/notify"

    admin_token: str = "dev-only-admin-token"
    internal_token: str = "dev-only-internal-token"
    notify_private_key: str = DEV_NOTIFY_PRIVATE_KEY
    phone_key: str = DEV_PHONE_KEY

    whatsapp_api_url: str = "http://127.0.0.1:8009"
    whatsapp_api_version: str = "v21.0"
    whatsapp_phone_number_id: str = "100200300"
    whatsapp_token: str = "dev-only-whatsapp-token"
    whatsapp_app_secret: str = "dev-only-whatsapp-app-secret"
    whatsapp_verify_token: str = "dev-only-whatsapp-verify-token"

    estimate_wait_seconds: float = Field(
        default=30.0, ge=0, description="send the issued message without ETA after this"
    )
    issued_message_ttl_seconds: float = Field(
        default=4 * 3600, gt=0, description="drop an unsent issued message after this"
    )
    called_message_ttl_seconds: float = Field(
        default=600, gt=0, description="drop an unsent 'called' message after this"
    )
    reply_ttl_seconds: float = Field(
        default=24 * 3600, gt=0, description="WhatsApp's customer-service window"
    )

    ticketing_url: str = "http://127.0.0.1:8002"
    default_site_code: str = Field(
        default="MPP-KPG", description="the site whose services the WhatsApp menu offers"
    )
    action_poll_seconds: float = Field(
        default=0.5, gt=0, description="how often due conversation actions run"
    )
    action_attempts: int = Field(default=6, ge=1, description="tries before telling the citizen to try later")

    phone_retention_days: float = Field(
        default=30, gt=0, description="phone numbers are removed this long after their last use"
    )
    retention_check_seconds: float = Field(default=3600, gt=0)
    eta_change_minutes: float = Field(default=10, gt=0, description="a call-time change worth a message")
    eta_change_interval_minutes: float = Field(
        default=15, ge=0, description="at most one estimate-change message per ticket this often"
    )
    reminder_min_lead_seconds: float = Field(
        default=300,
        ge=0,
        description="no separate leave-home reminder when leaving is due sooner than this after the ticket",
    )
    few_ahead_position: int = Field(default=3, ge=1, description='"N more ahead" at this position')

    compose_poll_seconds: float = Field(default=1.0, gt=0)
    send_poll_seconds: float = Field(default=0.5, gt=0)
    send_concurrency: int = Field(default=8, ge=1)
    send_timeout_seconds: float = Field(default=10.0, gt=0)
    send_attempts: int = Field(
        default=4, ge=1, description="tries per claim before backing off in the database"
    )
    send_retry_initial_seconds: float = Field(default=0.5, gt=0)
    send_retry_max_seconds: float = Field(default=8.0, gt=0)
    whatsapp_max_messages_per_second: float = Field(
        default=80.0, gt=0, description="Cloud API throughput cap per phone number id"
    )
    whatsapp_pair_wait_seconds: float = Field(
        default=6.0, gt=0, description="wait after Meta's pair rate limit (131056) for one citizen"
    )
    send_lease_seconds: float = Field(
        default=120.0, gt=0, description="a claim older than this was lost in a crash"
    )
    send_confirm_seconds: float = Field(
        default=120.0,
        gt=0,
        description="a send whose answer was lost waits this long for Meta's confirmation, then goes again",
    )

    def secret_fields(self) -> tuple[str, ...]:
        return (
            "admin_token",
            "internal_token",
            "notify_private_key",
            "phone_key",
            "whatsapp_token",
            "whatsapp_app_secret",
            "whatsapp_verify_token",
        )

    @field_validator("phone_key")
    @classmethod
    def _phone_key_is_32_bytes(cls, value: str) -> str:
        return _require_32_byte_key("phone_key", value)

    @field_validator("notify_private_key")
    @classmethod
    def _private_key_is_32_bytes(cls, value: str) -> str:
        return _require_32_byte_key("notify_private_key", value)

    @property
    def graph_messages_url(self) -> str:
        base = self.whatsapp_api_url.rstrip("/")
        return f"{base}/{self.whatsapp_api_version}/{self.whatsapp_phone_number_id}/messages"

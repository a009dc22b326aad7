"""wa-sandbox settings, from ``ANTRE_*`` environment variables.

It subclasses the shared ``ServiceSettings`` for ``env``, ``http_host``, ``http_port`` and
``log_level`` (what ``antre_platform.runner.serve`` needs); the database and Kafka fields it
inherits are unused: the sandbox keeps its state in memory.
"""

from antre_platform.settings import ServiceSettings
from pydantic import Field, field_validator, model_validator


class Settings(ServiceSettings):
    http_port: int = 8009

    # Shared with notify: the access token it sends, the app secret it verifies webhooks with, and
    # the phone number id in its Graph URL: notify must be given the same values.
    whatsapp_token: str = "dev-only-whatsapp-token"
    whatsapp_app_secret: str = "dev-only-whatsapp-app-secret"
    whatsapp_phone_number_id: str = "100200300"

    sandbox_webhook_url: str = "http://127.0.0.1:8004/webhooks/whatsapp"
    sandbox_status_callbacks: bool = True
    sandbox_status_delay_seconds: float = Field(default=0.5, ge=0)
    sandbox_callback_attempts: int = Field(default=5, ge=1, le=20)
    sandbox_callback_backoff_seconds: float = Field(default=0.5, ge=0)
    sandbox_webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    sandbox_waba_id: str = "100000000000002"
    sandbox_display_phone_number: str = "62380800100"
    sandbox_verified_name: str = "MPP Kota Kupang"

    @field_validator("sandbox_webhook_url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"ANTRE_SANDBOX_WEBHOOK_URL must be an http(s) URL, got {url!r}")
        return url

    @model_validator(mode="after")
    def _never_in_prod(self) -> "Settings":
        # The sandbox accepts a well-known token and fakes deliveries: in production it would
        # swallow citizens' notifications silently.
        if self.env == "prod":
            raise ValueError("wa-sandbox is a development and test stand-in for the WhatsApp Cloud API; "
                             "do not run it with ANTRE_ENV=prod (point ANTRE_WHATSAPP_API_URL at Meta)")
        return self

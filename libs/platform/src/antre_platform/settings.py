"""Settings every service shares, read from ``ANTRE_*`` environment variables.

Each service subclasses :class:`ServiceSettings` and builds it in its factory, never at
import time, so tests can pass their own values.
"""

from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_MARKER = "dev-only"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANTRE_", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/antre"
    kafka_bootstrap: str = "127.0.0.1:9092"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "info"
    relay_poll_seconds: float = 0.5

    def secret_fields(self) -> tuple[str, ...]:
        """Names of the fields that must not keep a development default in production."""
        return ()

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_prod(self) -> "ServiceSettings":
        if self.env == "prod":
            weak = [
                name
                for name in self.secret_fields()
                if not getattr(self, name) or DEV_SECRET_MARKER in str(getattr(self, name))
            ]
            if weak:
                names = ", ".join(f"ANTRE_{name.upper()}" for name in weak)
                raise ValueError(f"set real secrets for {names} before running with ANTRE_ENV=prod")
        return self

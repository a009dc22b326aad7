"""What the use cases need from the outside world."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class WebhookAnswer:
    """How the webhook answered one delivery: its HTTP status, or why there was none."""

    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Webhook(Protocol):
    async def deliver(self, notification: Mapping[str, Any]) -> WebhookAnswer:
        """POST one notification, signed as Meta signs it; never raises for network trouble."""
        ...

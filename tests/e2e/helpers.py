"""Steps the end-to-end tests share: what a citizen, an officer and WhatsApp do."""

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from antre_devstack.kafka import KafkaNode
from antre_devstack.secrets import DevSecrets
from antre_devstack.stack import Stack


@dataclass
class System:
    stack: Stack
    kafka: KafkaNode
    secrets: DevSecrets
    site_id: str
    catalog: dict[str, Any]

    def url(self, service: str) -> str:
        return self.stack.url(service)

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets.admin_token}"}

    def service_id(self, code: str) -> str:
        for agency in self.catalog["agencies"]:
            for service in agency["services"]:
                if service["code"] == code:
                    return str(service["id"])
        raise LookupError(code)


def eventually(check: Callable[[], Any], *, timeout: float = 60.0, interval: float = 0.3,
               what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}; last seen: {last!r}")



def new_phone() -> tuple[str, str]:
    """A fresh Indonesian mobile number, as typed (08...) and as WhatsApp sees it (628...)."""
    digits = "".join(secrets.choice("0123456789") for _ in range(8))
    return f"0812{digits}", f"62812{digits}"


def new_traceparent() -> tuple[str, str]:
    trace_id = secrets.token_hex(16)
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-01"


def take_ticket(system: System, http: httpx.Client, *, service_code: str, phone: str,
                headers: dict[str, str] | None = None, channel: str = "web") -> dict[str, Any]:
    """POST /v1/tickets (the web channel unless told), retrying until ticketing has learnt the
    service from the registry's events (its read model is eventually consistent)."""
    body = {"service_id": system.service_id(service_code), "channel": channel, "phone": phone}
    request_headers = {"Idempotency-Key": secrets.token_hex(8), **(headers or {})}

    def attempt() -> dict[str, Any] | None:
        response = http.post(f"{system.url('ticketing')}/v1/tickets", json=body, headers=request_headers)
        if response.status_code in (200, 201):
            return dict(response.json())
        assert response.status_code in (404, 409, 422), response.text
        return None

    return dict(eventually(attempt, timeout=60, what=f"ticketing to issue a {service_code} ticket"))


def messages_to(system: System, http: httpx.Client, wa_id: str) -> list[dict[str, Any]]:
    response = http.get(f"{system.url('wa_sandbox')}/sandbox/messages", params={"to": wa_id})
    response.raise_for_status()
    return list(response.json())


def wait_for_message(system: System, http: httpx.Client, wa_id: str, containing: str,
                     timeout: float = 60) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        return next((m for m in messages_to(system, http, wa_id) if containing in m["text"]), None)

    return dict(eventually(find, timeout=timeout, what=f"a WhatsApp message to {wa_id} with {containing!r}"))

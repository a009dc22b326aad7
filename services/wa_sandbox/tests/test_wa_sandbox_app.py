"""The sandbox as a running service: health, the phone page, its settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pydantic import ValidationError
from wa_sandbox.settings import Settings

if TYPE_CHECKING:
    import httpx


async def test_health_and_openapi_answer(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).status_code == 200
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"/sandbox/inbound", "/sandbox/messages", "/sandbox/faults",
            "/{version}/{phone_number_id}/messages"} <= set(paths)


async def test_the_phone_page_is_served_in_indonesian_and_fits_a_phone(client: httpx.AsyncClient) -> None:
    response = await client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<html lang="id">' in page
    assert 'name="viewport"' in page
    assert "Kirim" in page and "Nomor HP" in page  # Bahasa Indonesia first
    assert '"Send"' in page  # the English switch
    assert "/sandbox/inbound" in page and "/sandbox/messages?to=" in page
    assert "button_reply" in page and "list_reply" in page


async def test_an_unknown_path_is_a_problem_response(client: httpx.AsyncClient) -> None:
    response = await client.get("/sandbox/nothing-here")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_defaults_point_at_notify_on_its_spec_port(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANTRE_HTTP_PORT", "ANTRE_SANDBOX_WEBHOOK_URL", "ANTRE_SANDBOX_STATUS_CALLBACKS",
                 "ANTRE_ENV"):
        monkeypatch.delenv(name, raising=False)

    settings = Settings()

    assert settings.http_port == 8009
    assert settings.sandbox_webhook_url == "http://127.0.0.1:8004/webhooks/whatsapp"
    assert settings.sandbox_status_callbacks is True


def test_the_sandbox_refuses_to_run_in_production() -> None:
    with pytest.raises(ValidationError, match="do not run it with ANTRE_ENV=prod"):
        Settings(env="prod")

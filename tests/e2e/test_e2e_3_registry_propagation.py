"""Issue #3 end to end: what an agency changes through the registry reaches ticketing,
estimation and notify through Kafka (registry.changed), never by calling the registry.

An agency onboards a new service with its own API key; estimation forecasts it, ticketing
issues tickets for it and notify tells the citizen the documents that service needs. Then
the admin deactivates a service and ticketing refuses new tickets for it.
"""

import secrets
import string
from typing import Any

import httpx

from tests.e2e.helpers import System, eventually, new_phone, wait_for_message


def unique_prefix() -> str:
    return "Z" + "".join(secrets.choice(string.ascii_uppercase) for _ in range(2))


def new_service_body(system: System, agency_id: str, tag: str) -> dict[str, Any]:
    return {
        "site_id": system.site_id,
        "agency_id": agency_id,
        "code": f"E2E-{tag}",
        "prefix": unique_prefix(),
        "name_id": f"Layanan uji {tag}",
        "name_en": f"Test service {tag}",
        "mean_service_min": 6,
        "daily_quota": 500,
        "documents_id": [f"Surat kuasa {tag}"],
        "documents_en": [f"Power of attorney {tag}"],
    }


def agency_id(system: System, http: httpx.Client, code: str) -> str:
    found = http.get(f"{system.url('registry')}/v1/agencies", params={"code": code}, headers=system.admin)
    assert found.status_code == 200, found.text
    return str(found.json()["items"][0]["id"])


def ticket_attempt(
    system: System, http: httpx.Client, service_id: str, phone: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"service_id": service_id, "channel": "web"}
    if phone is not None:
        body["phone"] = phone
    # A fresh key per attempt: a replayed key would answer with the first attempt's outcome.
    return http.post(
        f"{system.url('ticketing')}/v1/tickets", json=body, headers={"Idempotency-Key": secrets.token_hex(8)}
    )


def test_a_service_an_agency_onboards_is_learnt_by_estimation_ticketing_and_notify(
    system: System, http: httpx.Client
) -> None:
    registry = system.url("registry")
    samsat = agency_id(system, http, "SAMSAT")
    key = http.post(f"{registry}/v1/agencies/{samsat}/api-keys", json={"label": "e2e"}, headers=system.admin)
    assert key.status_code == 201, key.text
    as_samsat = {"Authorization": f"Bearer {key.json()['key']}"}
    tag = secrets.token_hex(3).upper()

    created = http.post(
        f"{registry}/v1/services", json=new_service_body(system, samsat, tag), headers=as_samsat
    )
    assert created.status_code == 201, created.text
    service = created.json()

    def forecast() -> dict[str, Any] | None:
        answer = http.get(f"{system.url('estimation')}/v1/services/{service['id']}/forecast")
        return dict(answer.json()) if answer.status_code == 200 else None

    learnt = eventually(forecast, timeout=60, what="estimation to forecast the new service")
    assert learnt["waiting"] == 0

    typed, wa_id = new_phone()

    def issued() -> dict[str, Any] | None:
        answer = ticket_attempt(system, http, service["id"], phone=typed)
        assert answer.status_code in (201, 404, 409, 422), answer.text
        return dict(answer.json()) if answer.status_code == 201 else None

    ticket = eventually(issued, timeout=60, what="ticketing to issue a ticket for the new service")
    assert ticket["number"] == f"{service['prefix']}-001"
    # notify knows the new service's required documents only from registry.changed.
    message = wait_for_message(system, http, wa_id, f"Surat kuasa {tag}")
    assert ticket["number"] in message["text"]


def test_ticketing_refuses_a_ticket_for_a_service_the_registry_just_deactivated(
    system: System, http: httpx.Client
) -> None:
    registry = system.url("registry")
    tag = secrets.token_hex(3).upper()
    body = new_service_body(system, agency_id(system, http, "DUKCAPIL"), tag)
    created = http.post(f"{registry}/v1/services", json=body, headers=system.admin)
    assert created.status_code == 201, created.text
    service_id = created.json()["id"]
    eventually(
        lambda: ticket_attempt(system, http, service_id).status_code == 201,
        timeout=60,
        what="ticketing to accept tickets for the new service",
    )

    read = http.get(f"{registry}/v1/services/{service_id}", headers=system.admin)
    retired = http.patch(
        f"{registry}/v1/services/{service_id}",
        json={"active": False},
        headers={**system.admin, "If-Match": read.headers["etag"]},
    )
    assert retired.status_code == 200 and retired.json()["active"] is False, retired.text

    def refused() -> httpx.Response | None:
        answer = ticket_attempt(system, http, service_id)
        assert answer.status_code in (201, 409), answer.text
        return answer if answer.status_code == 409 else None

    refusal = eventually(refused, timeout=60, what="ticketing to refuse the deactivated service")
    assert refusal.headers["content-type"].startswith("application/problem+json")
    assert "not active" in refusal.json()["detail"]

"""A ticket flows through every real hop: registry → ticketing (PostgreSQL + outbox) →
Kafka → estimation → notify → the WhatsApp Graph API (the sandbox), and back for a call."""

import httpx
from opentelemetry import context as otel_context
from opentelemetry import propagate

from tests.e2e.helpers import (
    System,
    eventually,
    messages_to,
    new_phone,
    new_traceparent,
    take_ticket,
    wait_for_message,
)


def test_registry_serves_the_seeded_kupang_catalog(system: System, http: httpx.Client) -> None:
    catalog = http.get(f"{system.url('registry')}/v1/sites/{system.site_id}/catalog").json()
    agencies = {agency["code"] for agency in catalog["agencies"]}
    assert {"SAMSAT", "SATPAS", "DUKCAPIL", "BPJSKES", "BPJSTK", "DINSOS", "KPP", "BAPENDA",
            "BANKNTT", "NOTARIS", "DPMPTSP"} <= agencies
    assert catalog["site"]["timezone"] == "Asia/Makassar"
    assert system.service_id("PKB-TAHUNAN")


def test_a_web_ticket_reaches_the_citizen_on_whatsapp_with_its_eta(
    system: System, http: httpx.Client
) -> None:
    typed, wa_id = new_phone()
    trace_id, traceparent = new_traceparent()
    # Our trace is made current too: if an earlier test instrumented httpx in this process,
    # the client span then continues it instead of starting another trace.
    token = otel_context.attach(propagate.extract({"traceparent": traceparent}))
    try:
        ticket = take_ticket(system, http, service_code="PKB-TAHUNAN", phone=typed,
                             headers={"traceparent": traceparent})
    finally:
        otel_context.detach(token)
    assert ticket["number"].startswith("A-")
    assert ticket["status"] == "waiting"

    message = wait_for_message(system, http, wa_id, ticket["number"])
    assert "WITA" in message["text"], message["text"]
    assert "Perkiraan" in message["text"], message["text"]
    assert "antara" in message["text"], "the estimate band (P10–P90) is shown"
    assert f"Pantau antrean Anda: {ticket['status_url']}" in message["text"], message["text"]
    # One trace from the HTTP request to the Graph API call, across the outbox and Kafka.
    assert message["headers"].get("traceparent", "").split("-")[1] == trace_id

    estimate = http.get(f"{system.url('estimation')}/v1/tickets/{ticket['id']}/estimate")
    assert estimate.status_code == 200, estimate.text
    assert estimate.json()["position"] >= 1


def test_call_next_sends_the_citizen_to_the_counter(system: System, http: httpx.Client) -> None:
    typed, wa_id = new_phone()
    ticket = take_ticket(system, http, service_code="SIM-PERPANJANG", phone=typed)
    counters = http.get(f"{system.url('registry')}/v1/counters", headers=system.admin,
                        params={"site_id": system.site_id}).json()
    counters = counters["items"] if isinstance(counters, dict) else counters
    counter = next(c for c in counters if system.service_id("SIM-PERPANJANG") in map(str, c["service_ids"]))

    ticketing = system.url("ticketing")
    opened = http.post(f"{ticketing}/v1/counters/{counter['id']}/open", headers=system.admin)
    assert opened.status_code == 200, opened.text
    called = http.post(f"{ticketing}/v1/counters/{counter['id']}/call-next", headers=system.admin)
    assert called.status_code == 200, called.text
    assert called.json()["number"] == ticket["number"]

    message = wait_for_message(system, http, wa_id, counter["name"])
    assert ticket["number"] in message["text"]
    assert "silakan" in message["text"].lower()

    def one_call_message() -> bool:
        texts = [m["text"] for m in messages_to(system, http, wa_id)]
        return sum(counter["name"] in t for t in texts) == 1

    assert eventually(one_call_message, timeout=5, what="exactly one call message")

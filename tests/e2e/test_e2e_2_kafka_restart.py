"""With Kafka down, tickets are still issued; their events wait in the outbox and reach
the citizen once Kafka is back. Nothing is lost, nothing is sent twice."""

import time

import httpx

from tests.e2e.helpers import System, messages_to, new_phone, take_ticket, wait_for_message


def test_tickets_taken_while_kafka_is_down_reach_whatsapp_after_it_returns(
    system: System, http: httpx.Client
) -> None:
    typed, wa_id = new_phone()
    # ticketing must know the service (from registry events) before Kafka goes away
    take_ticket(system, http, service_code="PKB-TAHUNAN", phone=new_phone()[0])
    system.kafka.stop()
    try:
        started = time.monotonic()
        ticket = take_ticket(system, http, service_code="PKB-TAHUNAN", phone=typed)
        assert time.monotonic() - started < 10, "issuing must not wait for Kafka"
        time.sleep(2)
        assert messages_to(system, http, wa_id) == []
    finally:
        system.kafka.start()
        system.kafka.wait_ready()

    wait_for_message(system, http, wa_id, ticket["number"], timeout=120)
    time.sleep(3)
    issued = [m for m in messages_to(system, http, wa_id) if ticket["number"] in m["text"]]
    assert len(issued) == 1, [m["text"] for m in issued]

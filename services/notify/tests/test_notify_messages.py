"""Outbound WhatsApp messages on a real PostgreSQL, through a fake Graph API over HTTP:
one message per cause, whatever the order or repetition of what causes it."""

import asyncio
import logging
from datetime import timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from antre_platform.clock import FixedClock
from opentelemetry import trace

PHONE_DIGITS = "81234567890"
ISSUED_ID = (
    "Nomor antrean Anda *A-001* untuk Pembayaran Pajak Kendaraan Tahunan di Mal Pelayanan Publik "
    "Kota Kupang. Perkiraan dipanggil pukul 09:40 WITA (antara 09:30–09:55). "
    "Berangkat paling lambat 09:10 WITA. Bawa: KTP asli, STNK asli."
)


async def test_hand_off_issued_and_estimated_send_one_message_with_number_and_eta(
    notify: Any, hall: Any, fake_graph: Any
) -> None:
    ticket_id = uuid4()
    await notify.deliver(*hall.registry())
    assert (await notify.hand_off(ticket_id, hall.site_id)).status_code == 204
    await notify.deliver(hall.issued(ticket_id))
    await asyncio.sleep(0.2)
    assert fake_graph.requests == [], "without an estimate the message waits (up to 30 s)"

    await notify.deliver(hall.estimated(ticket_id))
    await notify.eventually(lambda: len(fake_graph.requests) == 1)
    [sent] = fake_graph.requests
    # Our message id, which Meta echoes in the status callbacks (see test_notify_send_confirmation).
    [listed] = await notify.notifications(ticket_id)
    assert sent.pop("biz_opaque_callback_data") == listed["id"]
    assert sent == {
        "path": "/v21.0/100200300/messages",
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "text",
        "text": {"preview_url": False, "body": ISSUED_ID},
    }
    assert fake_graph.headers[0]["authorization"] == "Bearer test-whatsapp-token"

    async def marked_sent() -> bool:
        return [n["status"] for n in await notify.notifications(ticket_id)] == ["sent"]

    await notify.eventually(marked_sent)
    [listed] = await notify.notifications(ticket_id)
    assert listed["kind"] == "ticket_issued" and listed["wamid"] == "wamid.fake1" and listed["sent_at"]
    assert PHONE_DIGITS not in str(listed)
    [event] = await notify.outbox_events("notification.sent")
    assert event["data"]["ticket_id"] == str(ticket_id) and event["data"]["kind"] == "ticket_issued"
    assert event["siteid"] == str(hall.site_id)
    assert PHONE_DIGITS not in str(event)


async def test_the_same_events_and_hand_off_delivered_twice_in_any_order_still_send_one_message(
    notify: Any, hall: Any, fake_graph: Any
) -> None:
    ticket_id = uuid4()
    registry, issued, estimated = hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id)
    await notify.deliver(estimated, *registry, issued)
    for response in await asyncio.gather(
        notify.hand_off(ticket_id, hall.site_id), notify.hand_off(ticket_id, hall.site_id)
    ):
        assert response.status_code == 204
    await notify.deliver(issued, estimated, *registry)
    assert (await notify.hand_off(ticket_id, hall.site_id)).status_code == 204
    await notify.eventually(lambda: len(fake_graph.requests) == 1)
    await asyncio.sleep(0.5)  # several sender rounds: nothing more goes out
    assert fake_graph.bodies() == [ISSUED_ID]
    assert len(await notify.notifications(ticket_id)) == 1


async def test_without_an_estimate_the_message_goes_after_the_wait_without_eta(
    notify: Any, hall: Any, fake_graph: Any, clock: FixedClock
) -> None:
    ticket_id = uuid4()
    await notify.deliver(*hall.registry(), hall.issued(ticket_id))
    await notify.hand_off(ticket_id, hall.site_id)
    clock.advance(timedelta(seconds=29))
    await asyncio.sleep(0.3)
    assert fake_graph.requests == []
    clock.advance(timedelta(seconds=2))
    await notify.eventually(lambda: len(fake_graph.requests) == 1)
    assert fake_graph.bodies() == [
        "Nomor antrean Anda *A-001* untuk Pembayaran Pajak Kendaraan Tahunan di Mal Pelayanan Publik Kota "
        "Kupang. Kami kirim pesan saat nomor Anda dipanggil. Bawa: KTP asli, STNK asli."
    ]
    await notify.deliver(hall.estimated(ticket_id))  # too late: no second 'issued' message
    await asyncio.sleep(0.3)
    assert len(fake_graph.requests) == 1


async def test_a_server_error_is_retried_and_the_citizen_gets_one_message(
    notify: Any, hall: Any, fake_graph: Any
) -> None:
    fake_graph.script = [(500, {"error": {"message": "temporarily unavailable", "code": 2}})]
    ticket_id = uuid4()
    await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
    await notify.hand_off(ticket_id, hall.site_id)

    async def sent() -> bool:
        return [n["status"] for n in await notify.notifications(ticket_id)] == ["sent"]

    await notify.eventually(sent)
    assert len(fake_graph.requests) == 2  # the 500, then the 200
    [listed] = await notify.notifications(ticket_id)
    assert listed["attempts"] == 2 and listed["wamid"] == "wamid.fake2"
    await asyncio.sleep(0.3)
    assert len(fake_graph.requests) == 2
    assert len(await notify.outbox_events("notification.sent")) == 1


async def test_a_refused_message_is_marked_failed_and_not_retried(
    notify: Any, hall: Any, fake_graph: Any
) -> None:
    fake_graph.script = [
        (
            400,
            {
                "error": {
                    "message": "(#131030) Recipient phone number not in allowed list",
                    "type": "OAuthException",
                    "code": 131030,
                }
            },
        )
    ]
    ticket_id = uuid4()
    await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
    await notify.hand_off(ticket_id, hall.site_id)

    async def failed() -> bool:
        return [n["status"] for n in await notify.notifications(ticket_id)] == ["failed"]

    await notify.eventually(failed)
    await asyncio.sleep(0.3)
    assert len(fake_graph.requests) == 1
    [listed] = await notify.notifications(ticket_id)
    assert listed["error_code"] == 131030 and listed["wamid"] is None and listed["attempts"] == 1
    [event] = await notify.outbox_events("notification.failed")
    assert event["data"]["error_code"] == 131030 and event["data"]["ticket_id"] == str(ticket_id)


async def test_a_call_tells_the_citizen_which_counter_and_a_recall_says_so(
    notify: Any, hall: Any, fake_graph: Any
) -> None:
    ticket_id = uuid4()
    await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
    await notify.hand_off(ticket_id, hall.site_id)
    await notify.eventually(lambda: len(fake_graph.requests) == 1)

    await notify.deliver(hall.called(ticket_id))
    await notify.eventually(lambda: len(fake_graph.requests) == 2)
    assert fake_graph.bodies()[1] == "Nomor *A-001* dipanggil. Silakan menuju *Loket 3* sekarang."

    # A call event without the optional number/counter name still names both (ticket and registry).
    await notify.deliver(hall.called(ticket_id, recall=1, number=None, counter_name=None))
    await notify.deliver(hall.called(ticket_id, recall=1, number=None, counter_name=None))
    await notify.eventually(lambda: len(fake_graph.requests) == 3)
    assert fake_graph.bodies()[2] == "Nomor *A-001* dipanggil ulang. Silakan menuju *Loket 3* sekarang."
    await asyncio.sleep(0.3)
    assert len(fake_graph.requests) == 3
    assert [n["kind"] for n in await notify.notifications(ticket_id)] == ["ticket_issued", "called", "called"]


async def test_a_ticket_called_before_its_issued_message_only_gets_the_call(
    notify: Any, hall: Any, fake_graph: Any
) -> None:
    ticket_id = uuid4()
    await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.called(ticket_id))
    await notify.hand_off(ticket_id, hall.site_id, locale="en")
    await notify.eventually(lambda: len(fake_graph.requests) == 1)
    assert fake_graph.bodies() == ["Number *A-001* is being called. Please go to *Loket 3* now."]


async def test_the_phone_is_never_stored_or_logged_in_clear(
    notify: Any, hall: Any, fake_graph: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ticket_id = uuid4()
    await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
    await notify.hand_off(ticket_id, hall.site_id)
    await notify.eventually(lambda: len(fake_graph.requests) == 1)
    await notify.webhook(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "changes": [
                        {
                            "value": {
                                "messages": [
                                    {
                                        "from": "6281234567890",
                                        "id": "wamid.IN1",
                                        "timestamp": "1781139600",
                                        "type": "text",
                                        "text": {"body": "halo"},
                                    }
                                ]
                            }
                        }
                    ]
                }
            ],
        }
    )
    await notify.eventually(lambda: len(fake_graph.requests) == 2)

    conn = await asyncpg.connect(notify.settings.database_url)
    try:
        tables = [
            row["tablename"]
            for row in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        dump = []
        for table in tables:
            dump += [row[0] for row in await conn.fetch(f'SELECT t::text FROM "{table}" t')]
            # bytea columns as raw bytes too, in case text rendering hid something
            for column in await conn.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = $1 AND data_type = 'bytea'",
                table,
            ):
                dump += [
                    bytes(v).decode("latin-1")
                    for (v,) in await conn.fetch(f'SELECT "{column["column_name"]}" FROM "{table}"')
                    if v is not None
                ]
    finally:
        await conn.close()
    assert {"recipients", "outbound_messages", "inbound_messages"} <= set(tables)
    assert len(dump) > 10
    assert not [row for row in dump if PHONE_DIGITS in row]
    assert not [r.getMessage() for r in caplog.records if PHONE_DIGITS in r.getMessage()]
    assert any("+62812****890" in r.getMessage() for r in caplog.records)


async def test_a_restart_does_not_send_anything_twice(start_notify: Any, hall: Any, fake_graph: Any) -> None:
    ticket_id = uuid4()
    async with start_notify() as first:
        await first.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
        await first.hand_off(ticket_id, hall.site_id)
        await first.eventually(lambda: len(fake_graph.requests) == 1)
    async with start_notify() as second:
        await second.deliver(hall.issued(ticket_id), hall.estimated(ticket_id))
        assert (await second.hand_off(ticket_id, hall.site_id)).status_code == 204
        await asyncio.sleep(0.5)
        assert len(fake_graph.requests) == 1
        assert [n["status"] for n in await second.notifications(ticket_id)] == ["sent"]


async def test_a_ticket_that_overtakes_its_registry_description_waits_for_it(
    notify: Any, hall: Any, fake_graph: Any
) -> None:
    ticket_id = uuid4()
    site, service, counter = hall.registry()
    await notify.deliver(hall.issued(ticket_id), hall.estimated(ticket_id))
    await notify.hand_off(ticket_id, hall.site_id)
    await notify.deliver(counter, service)
    await asyncio.sleep(0.3)
    assert fake_graph.requests == [], "without the site's timezone no time can be shown yet"
    await notify.deliver(site)
    await notify.eventually(lambda: len(fake_graph.requests) == 1)
    assert fake_graph.bodies() == [ISSUED_ID]


async def test_the_graph_api_call_continues_the_trace_of_what_caused_the_message(
    notify: Any, hall: Any, fake_graph: Any
) -> None:
    ticket_id = uuid4()
    await notify.deliver(*hall.registry(), hall.issued(ticket_id))
    await notify.hand_off(ticket_id, hall.site_id)
    with trace.get_tracer("test").start_as_current_span("consume ticket.estimated") as span:
        await notify.deliver(hall.estimated(ticket_id))
        trace_id = format(span.get_span_context().trace_id, "032x")
    await notify.eventually(lambda: len(fake_graph.requests) == 1)
    assert fake_graph.headers[0]["traceparent"].split("-")[1] == trace_id

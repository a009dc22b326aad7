"""A send whose answer is lost goes out once: Meta's status callback, which echoes our message
id (``biz_opaque_callback_data``), settles it; only a message Meta never confirmed within the
confirmation window is sent again. Real PostgreSQL, a fake Graph API over real HTTP."""

import asyncio
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import asyncpg
from antre_platform.clock import FixedClock
from notify.settings import Settings

from .conftest import FakeGraph, Hall, StartNotify
from .test_notify_http import status

SLOW = {"send_timeout_seconds": 0.3, "send_confirm_seconds": 60}


async def sent_then_unrecorded(
    start_notify: StartNotify, hall: Hall, ticket_id: Any, *, lease_until: datetime
) -> dict[str, Any]:
    """The ticket's message sent by one notify, which then 'died' before recording it: the row
    is back to 'sending' under a lease ending at ``lease_until``. Returns the message as listed."""
    async with start_notify() as notify:
        await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
        await notify.hand_off(ticket_id, hall.site_id)
        listed = await sent_once(notify, ticket_id)
    conn: Any = await asyncpg.connect(notify.settings.database_url)
    try:
        await conn.execute(
            """UPDATE outbound_messages SET status = 'sending', wamid = NULL, sent_at = NULL,
                      delivery_status = NULL, lease_until = $1""",
            lease_until,
        )
    finally:
        await conn.close()
    return listed


async def sent_once(notify: Any, ticket_id: Any) -> dict[str, Any]:
    """The ticket's one message, once its send is recorded (Meta has answered by then)."""

    async def recorded() -> bool:
        return [n["status"] for n in await notify.notifications(ticket_id)] == ["sent"]

    await notify.eventually(recorded)
    [listed] = await notify.notifications(ticket_id)
    return dict(listed)


async def test_a_slow_answer_confirmed_by_the_status_callback_is_not_sent_again(
    start_notify: StartNotify, fake_graph: FakeGraph, hall: Hall, clock: FixedClock
) -> None:
    ticket_id = uuid4()
    fake_graph.delays = [1.0]  # Meta accepts the message but answers after the timeout
    async with start_notify(**SLOW) as notify:
        await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
        await notify.hand_off(ticket_id, hall.site_id)
        await notify.eventually(lambda: len(fake_graph.requests) == 1)
        [first] = fake_graph.requests
        await asyncio.sleep(1.2)  # the sender has given up waiting for the answer
        [listed] = await notify.notifications(ticket_id)
        assert listed["status"] == "sending" and listed["wamid"] is None

        # Meta's callback for the message carries our id: the message was delivered.
        ours = first["biz_opaque_callback_data"]
        callback = status("wamid.fake1", "delivered", biz_opaque_callback_data=ours)
        assert (await notify.webhook(callback)).status_code == 200
        [listed] = await notify.notifications(ticket_id)
        assert (listed["status"], listed["wamid"]) == ("sent", "wamid.fake1")
        assert listed["delivery_status"] == "delivered"

        # The citizen's next message is not held behind the unsettled one ...
        await notify.deliver(hall.called(ticket_id))
        await notify.eventually(lambda: len(fake_graph.requests) == 2)
        # ... and after the confirmation window nothing goes twice.
        clock.advance(timedelta(seconds=61))
        await asyncio.sleep(0.4)
        assert len(fake_graph.requests) == 2
        assert "dipanggil" in fake_graph.requests[1]["text"]["body"]
        assert len(await notify.outbox_events("notification.sent")) == 2


async def test_a_lost_answer_without_any_confirmation_is_sent_again_once_after_the_window(
    start_notify: StartNotify, fake_graph: FakeGraph, hall: Hall, clock: FixedClock
) -> None:
    ticket_id = uuid4()
    fake_graph.delays = [1.0]
    async with start_notify(**SLOW) as notify:
        await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
        await notify.hand_off(ticket_id, hall.site_id)
        await notify.eventually(lambda: len(fake_graph.requests) == 1)
        await asyncio.sleep(1.2)
        clock.advance(timedelta(seconds=30))
        await asyncio.sleep(0.4)
        assert len(fake_graph.requests) == 1, "not before the confirmation window ends"
        clock.advance(timedelta(seconds=31))
        await notify.eventually(lambda: len(fake_graph.requests) == 2)
        await asyncio.sleep(0.4)
        assert len(fake_graph.requests) == 2
        assert fake_graph.requests[0]["text"] == fake_graph.requests[1]["text"]
        [listed] = await notify.notifications(ticket_id)
        assert listed["status"] == "sent" and listed["wamid"] == "wamid.fake2"


async def test_after_a_crash_a_message_meta_confirmed_is_not_sent_again(
    start_notify: StartNotify, fake_graph: FakeGraph, hall: Hall, clock: FixedClock
) -> None:
    """A process that dies after Meta accepted but before the outcome was recorded leaves the
    row 'sending'; when its lease runs out, the callback that arrived meanwhile settles it."""
    ticket_id = uuid4()
    under_lease = clock.now() + timedelta(minutes=2)
    listed = await sent_then_unrecorded(start_notify, hall, ticket_id, lease_until=under_lease)
    async with start_notify() as notify:
        callback = status("wamid.fake1", "sent", biz_opaque_callback_data=listed["id"])
        # The same callback id, but the message is still under its lease: the webhook settles it
        # at once, without waiting for the lease (the in-flight sender would record the same).
        assert (await notify.webhook(callback)).status_code == 200
        [settled] = await notify.notifications(ticket_id)
        assert settled["status"] == "sent" and settled["wamid"] == "wamid.fake1"
        clock.advance(timedelta(minutes=3))
        await asyncio.sleep(0.4)
        assert len(fake_graph.requests) == 1


async def test_a_callback_with_an_id_that_is_not_ours_changes_nothing(
    notify: Any, fake_graph: FakeGraph, hall: Hall
) -> None:
    for junk in ("not-a-uuid", str(uuid4()), "x" * 2000):
        answer = await notify.webhook(status("wamid.other", "sent", biz_opaque_callback_data=junk))
        assert answer.status_code == 200
    ticket_id = uuid4()
    await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
    await notify.hand_off(ticket_id, hall.site_id)
    listed = await sent_once(notify, ticket_id)
    assert listed["wamid"] == "wamid.fake1" and len(fake_graph.requests) == 1


async def test_a_reclaimed_message_looks_for_metas_confirmation_before_sending_again(
    start_notify: StartNotify, fake_graph: FakeGraph, hall: Hall, clock: FixedClock, settings: Settings
) -> None:
    """The safety net under the webhook: a confirmation already stored when the lease runs out
    (e.g. it came while PostgreSQL refused the outcome) is found at the reclaim."""
    ticket_id = uuid4()
    lease_ran_out = clock.now() - timedelta(seconds=1)
    listed = await sent_then_unrecorded(start_notify, hall, ticket_id, lease_until=lease_ran_out)
    conn: Any = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute(
            """INSERT INTO delivery_statuses (wamid, status, at, received_at, callback_data)
               VALUES ('wamid.fake1', 'delivered', $1, $1, $2)""",
            clock.now(),
            listed["id"],
        )
    finally:
        await conn.close()
    async with start_notify() as notify:

        async def settled() -> bool:
            [again] = await notify.notifications(ticket_id)
            return bool(again["status"] == "sent" and again["delivery_status"] == "delivered")

        await notify.eventually(settled)
        await asyncio.sleep(0.3)
        assert len(fake_graph.requests) == 1

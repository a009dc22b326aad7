"""A transferred citizen is told their new number, and STATUS/BATAL/TUNDA follow the ticket.

Ticketing keeps no phone for a transferred ticket; notify carries the recipient across on
``ticket.transferred``. The access token moves to the new ticket in ticketing, so notify's
"latest ticket" of the citizen must move with it. Real PostgreSQL, a fake Graph API."""

from typing import Any
from uuid import uuid4

from antre_contracts import new_event
from antre_contracts.events import TicketTransferred
from notify.domain.phone import PhoneNumber

from .conftest import NOW, PHONE, PHONE_DIGITS, FakeGraph, Hall

STATUS_URL = "https://antre.example/t/tok-of-the-citizen"


def transferred(hall: Hall, old: Any, new: Any) -> Any:
    return new_event(
        type="ticket.transferred",
        source="antre/ticketing",
        site_id=hall.site_id,
        subject=old,
        time=NOW,
        data=TicketTransferred(
            ticket_id=old,
            from_service_id=hall.service_id,
            to_service_id=hall.service_id,
            new_ticket_id=new,
            at=NOW,
        ),
    )


async def latest(notify: Any) -> Any:
    async with notify.app.state.notify.uow() as work:
        return await work.store.latest_citizen_ticket(PhoneNumber.parse(PHONE))


async def test_the_new_ticket_is_messaged_and_becomes_the_citizens_ticket(
    notify: Any, hall: Hall, fake_graph: FakeGraph
) -> None:
    first, second = uuid4(), uuid4()
    await notify.deliver(*hall.registry())
    await notify.hand_off(first, hall.site_id, status_url=STATUS_URL)
    await notify.deliver(hall.issued(first), hall.estimated(first))
    await notify.eventually(lambda: len(fake_graph.requests) == 1)
    assert (await latest(notify))[0] == first

    # ticketing emits ticket.transferred, then ticket.issued for the new ticket
    await notify.deliver(transferred(hall, first, second), transferred(hall, first, second))
    await notify.deliver(hall.issued(second, number="A-007"), hall.estimated(second))
    await notify.eventually(lambda: len(fake_graph.requests) == 2)
    assert fake_graph.requests[1]["to"] == fake_graph.requests[0]["to"]
    assert "*A-007*" in fake_graph.requests[1]["text"]["body"]
    assert STATUS_URL in fake_graph.requests[1]["text"]["body"], "the status link follows the citizen"
    ticket_id, number, _, token = await latest(notify)
    assert (ticket_id, number, token) == (second, "A-007", "tok-of-the-citizen")

    await notify.deliver(hall.called(second, number="A-007"))
    await notify.eventually(lambda: len(fake_graph.requests) == 3)
    assert "A-007" in fake_graph.requests[2]["text"]["body"]
    listed = await notify.notifications(second)
    assert PHONE_DIGITS not in str(listed)


async def test_a_transfer_of_a_ticket_without_a_phone_sends_nothing(
    notify: Any, hall: Hall, fake_graph: FakeGraph
) -> None:
    first, second = uuid4(), uuid4()
    await notify.deliver(*hall.registry(), hall.issued(first), transferred(hall, first, second))
    await notify.deliver(hall.issued(second, number="A-007"), hall.estimated(second))
    assert await notify.notifications(second) == []
    assert fake_graph.requests == []


async def test_a_hand_off_with_a_status_link_makes_that_ticket_the_citizens_latest(
    notify: Any, hall: Hall
) -> None:
    """A journey's next step (or a ticket taken on the web with this phone) arrives as a hand-off
    carrying the status link: STATUS and BATAL on WhatsApp then act on it, with its token."""
    step_one, step_two = uuid4(), uuid4()
    await notify.deliver(*hall.registry(), hall.issued(step_one))
    await notify.hand_off(step_one, hall.site_id, status_url="https://antre.example/t/one")
    await notify.hand_off(step_two, hall.site_id, status_url="https://antre.example/t/two")
    ticket_id, number, _, token = await latest(notify)
    assert (ticket_id, number, token) == (step_two, "", "two"), "the number is known once ticket.issued is"
    await notify.deliver(hall.issued(step_two, number="A-002"))
    assert (await latest(notify))[1] == "A-002"

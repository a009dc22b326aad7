"""The hall's pages served in-process on a real PostgreSQL: what the board says, what the
console, the kiosk and the citizen's status page show. Browser behaviour is tested end to
end in tests/e2e/test_e2e_7_hall_pages.py."""

import asyncio
import json
import re
from collections.abc import AsyncIterator
from uuid import uuid4

import httpx
import pytest
from ticketing.entrypoints.pages.hall import Neighbours, SiteFeed
from ticketing.entrypoints.pages.speech import announcement, number_words
from ticketing.entrypoints.pages.views import Hall, board_state
from ticketing.settings import Settings

from .conftest import Harness, HarnessFactory


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "nol"),
        (1, "satu"),
        (7, "tujuh"),
        (10, "sepuluh"),
        (11, "sebelas"),
        (12, "dua belas"),
        (19, "sembilan belas"),
        (20, "dua puluh"),
        (23, "dua puluh tiga"),
        (99, "sembilan puluh sembilan"),
        (100, "seratus"),
        (101, "seratus satu"),
        (111, "seratus sebelas"),
        (123, "seratus dua puluh tiga"),
        (200, "dua ratus"),
        (999, "sembilan ratus sembilan puluh sembilan"),
        (1000, "seribu"),
        (1001, "seribu satu"),
        (1250, "seribu dua ratus lima puluh"),
        (2000, "dua ribu"),
        (12345, "dua belas ribu tiga ratus empat puluh lima"),
        (1_000_000, "satu juta"),
    ],
)
def test_numbers_are_said_in_indonesian(n: int, words: str) -> None:
    assert number_words(n) == words


def test_the_board_announces_the_number_and_the_counter_in_words() -> None:
    assert announcement("A-023", "Loket 3") == "Nomor antrean A dua puluh tiga, silakan menuju loket tiga"
    # a two-letter prefix is spelt, numbers past 999 keep working, counter numbers are words too
    assert announcement("AB-1000", "Loket 12") == "Nomor antrean A B seribu, silakan menuju loket dua belas"


@pytest.fixture
async def hall(make_harness: HarnessFactory, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    """Ticketing with its pages; the registry and estimation are down (closed port): the pages
    must still work from ticketing's own data."""
    monkeypatch.setenv("ANTRE_REGISTRY_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("ANTRE_ESTIMATION_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("ANTRE_HALL_POLL_SECONDS", "0.05")
    async with make_harness() as running:
        await running.seed()
        yield running


def _boot(page: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="antre-boot">(.*?)</script>', page, re.S)
    assert found, "the page carries its state"
    boot: dict[str, object] = json.loads(found.group(1).replace("<\\/", "</"))
    return boot


async def test_the_board_page_shows_the_latest_call_with_its_spoken_text(hall: Harness) -> None:
    issued = (await hall.issue()).json()
    await hall.counter(2, "open")
    await hall.counter(2, "call-next")

    page = await hall.client.get(f"/board/{hall.kupang.site_id}")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    state = _boot(page.text)["state"]
    assert isinstance(state, dict)
    assert state["site"]["name"] == "Mal Pelayanan Publik Kota Kupang"
    assert state["site"]["zone"] == "WITA"
    newest = state["calls"][0]
    assert newest["number"] == issued["number"] == "A-001"
    assert newest["counter_name"] == "Loket 3"
    assert newest["announcement"] == "Nomor antrean A satu, silakan menuju loket tiga"
    assert [a["waiting"] for a in state["agencies"]] == [0]


async def test_the_live_feed_sends_the_new_state_when_a_counter_calls(hall: Harness) -> None:
    await hall.issue()
    await hall.counter(0, "open")
    view: Hall = hall.app.state.hall
    feed = SiteFeed(lambda site_id: board_state(site_id, view), poll_seconds=0.05)
    queue = feed.subscribe(hall.kupang.site_id)
    try:
        first = json.loads(await asyncio.wait_for(queue.get(), 5))
        assert first["calls"] == [] and first["agencies"][0]["waiting"] == 1
        await hall.counter(0, "call-next")
        after = json.loads(await asyncio.wait_for(queue.get(), 5))
        assert after["calls"][0]["number"] == "A-001"
        assert after["calls"][0]["counter_name"] == "Loket 1"
        await hall.counter(0, "recall")
        recalled = json.loads(await asyncio.wait_for(queue.get(), 5))
        # a recall is a new key: the board says it again
        assert recalled["calls"][0]["key"] != after["calls"][0]["key"]
    finally:
        feed.unsubscribe(hall.kupang.site_id, queue)
        await feed.close()


async def test_the_event_stream_of_an_unknown_site_is_a_problem(hall: Harness) -> None:
    response = await hall.client.get("/v1/sites/00000000-0000-4000-8000-000000000000/events")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "No site" in response.json()["detail"]


async def test_the_console_needs_staff_and_shows_the_ticket_and_the_priority_line(hall: Harness) -> None:
    counter_id = hall.kupang.counter_ids[0]
    await hall.issue()
    await hall.issue(priority="elderly")
    await hall.issue()

    shell = await hall.client.get(f"/counter/{counter_id}")
    assert shell.status_code == 200 and "antre-boot" in shell.text
    refused = await hall.client.get(f"/counter/{counter_id}/state")
    assert refused.status_code == 401
    assert "Bearer" in refused.json()["detail"]

    await hall.counter(0, "open")
    await hall.counter(0, "call-next")
    state = (await hall.client.get(f"/counter/{counter_id}/state", headers=hall.admin)).json()

    assert state["counter"]["name"] == "Loket 1" and state["counter"]["status"] == "open"
    assert state["current"]["number"] == "A-002" and state["current"]["priority"] == "elderly"
    assert state["current"]["channel"] == "kiosk"
    assert state["current"]["service_name"] == "Pajak Kendaraan Tahunan"
    assert [(w["number"], w["priority"]) for w in state["waiting"]] == [
        ("A-001", "regular"),
        ("A-003", "regular"),
    ]
    assert state["transfer_to"] == []  # Loket 1 serves both services of the site


async def test_the_console_of_an_unknown_counter_is_a_404(hall: Harness) -> None:
    response = await hall.client.get(
        "/counter/00000000-0000-4000-8000-000000000000/state", headers=hall.admin
    )
    assert response.status_code == 404
    assert "counter" in response.json()["detail"]


async def test_the_status_page_follows_the_ticket_up_the_line(hall: Harness) -> None:
    await hall.issue()
    mine = (await hall.issue(phone="081234567890", key="status-1", channel="web")).json()
    token = mine["access_token"]

    page = await hall.client.get(f"/t/{token}")
    assert page.status_code == 200
    state = _boot(page.text)["state"]
    assert isinstance(state, dict)
    assert state["number"] == "A-002" and state["position"] == 2
    assert state["estimate"] is None  # estimation is down: the page says so, and still works
    assert "081234567890" not in page.text

    await hall.counter(0, "open")
    await hall.counter(0, "call-next")
    assert (await hall.client.get(f"/t/{token}/state")).json()["position"] == 1
    await hall.counter(0, "no-show")
    await hall.counter(0, "call-next")
    called = (await hall.client.get(f"/t/{token}/state")).json()
    assert called["status"] == "called" and called["counter_name"] == "Loket 1"


async def test_an_unknown_status_link_says_so_in_indonesian(hall: Harness) -> None:
    page = await hall.client.get("/t/not-a-real-token")
    assert page.status_code == 404
    assert "Tautan antrean tidak ditemukan" in page.text
    english = await hall.client.get("/t/not-a-real-token?lang=en")
    assert "This queue link is not known" in english.text


async def test_the_kiosk_offers_services_with_documents_and_prints_a_ticket_with_a_qr(hall: Harness) -> None:
    page = await hall.client.get(f"/kiosk/{hall.kupang.site_id}")
    assert page.status_code == 200
    state = _boot(page.text)["state"]
    assert isinstance(state, dict)
    services = {s["name_id"]: s for a in state["agencies"] for s in a["services"]}
    assert services["Pajak Kendaraan Tahunan"]["documents_id"] == ["KTP asli"]
    assert services["Pajak Kendaraan Tahunan"]["priority_enabled"] is True

    issued = (await hall.issue(channel="kiosk")).json()
    ticket = await hall.client.get(
        f"/kiosk/{hall.kupang.site_id}/ticket", params={"token": issued["access_token"]}
    )
    assert ticket.status_code == 200
    assert 'data-testid="ticket-number">A-001<' in ticket.text
    assert "<svg" in ticket.text, "the QR code of the status link is inline SVG"
    assert "@media print" not in ticket.text  # the print layout lives in hall.css
    css = await hall.client.get("/hall-static/hall.css")
    assert css.status_code == 200 and "@media print" in css.text and "80mm" in css.text


async def test_pages_switch_to_english(hall: Harness) -> None:
    indonesian = await hall.client.get(f"/kiosk/{hall.kupang.site_id}")
    english = await hall.client.get(f"/kiosk/{hall.kupang.site_id}?lang=en")
    assert '<html lang="id">' in indonesian.text and "Pilih instansi" in indonesian.text
    assert '<html lang="en">' in english.text and "Choose an agency" in english.text


async def test_a_citizens_page_asks_estimation_at_most_once_per_ttl_and_the_cache_stays_bounded() -> None:
    """The status page polls every 2-4 s; estimation is asked once per ``estimate_ttl`` per ticket,
    and the cache of open pages drops expired entries rather than growing without end."""
    asked: list[str] = []

    def estimation(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return httpx.Response(200, json={"position": 3, "call_p50": "2026-06-11T09:40:00+08:00"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(estimation)) as client:
        neighbours = Neighbours(client=client, settings=Settings(env="test"), max_entries=3)
        ticket = uuid4()
        first = await neighbours.estimate(ticket)
        assert first is not None and first["position"] == 3
        assert await neighbours.estimate(ticket) == first
        assert len(asked) == 1
        neighbours.estimate_ttl = 0.0  # as if the TTL had passed
        await neighbours.estimate(ticket)
        assert len(asked) == 2
        neighbours.estimate_ttl = 10.0
        for _ in range(5):
            await neighbours.estimate(uuid4())
        assert len(neighbours._cache) <= 3

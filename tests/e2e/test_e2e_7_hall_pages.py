"""The hall in a real browser (Debian's headless Chromium driven by Playwright) against the
running system: the counter console calls, the board shows and says it, the kiosk prints,
the citizen's status page follows the line."""

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from tests.e2e.helpers import System, eventually, new_phone, take_ticket

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
TV: ViewportSize = {"width": 1920, "height": 1080}
PHONE: ViewportSize = {"width": 390, "height": 844}
MM_PER_CSS_PX = 25.4 / 96


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Any]:
    contexts = []

    def make(viewport: ViewportSize) -> Page:
        context = browser.new_context(viewport=viewport, locale="id-ID")
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def counter_for(system: System, http: httpx.Client, service_code: str) -> dict[str, Any]:
    listing = http.get(
        f"{system.url('registry')}/v1/counters", headers=system.admin, params={"site_id": system.site_id}
    ).json()
    counters = listing["items"] if isinstance(listing, dict) else listing
    service_id = system.service_id(service_code)
    return next(c for c in counters if service_id in map(str, c["service_ids"]))


def ready_counter(system: System, http: httpx.Client, service_code: str) -> str:
    """An open counter of the service holding no ticket, whatever earlier tests left at it."""
    counter_id = str(counter_for(system, http, service_code)["id"])
    ticketing = system.url("ticketing")

    def state() -> dict[str, Any] | None:
        response = http.get(f"{ticketing}/counter/{counter_id}/state", headers=system.admin)
        return dict(response.json()) if response.status_code == 200 else None

    current = eventually(state, timeout=60, what="ticketing to know the counter")["current"]
    if current and current["status"] == "serving":
        http.post(f"{ticketing}/v1/counters/{counter_id}/finish", headers=system.admin).raise_for_status()
    elif current:
        http.post(f"{ticketing}/v1/counters/{counter_id}/no-show", headers=system.admin).raise_for_status()
    opened = http.post(f"{ticketing}/v1/counters/{counter_id}/open", headers=system.admin)
    assert opened.status_code in (200, 409), opened.text
    return counter_id


def open_console(new_page: Any, system: System, counter_id: str) -> Page:
    console: Page = new_page({"width": 1280, "height": 900})
    console.goto(f"{system.url('ticketing')}/counter/{counter_id}?token={system.secrets.admin_token}")
    console.wait_for_selector("#action-call-next")
    # the token left the address bar and stays in this browser: a reload keeps the console signed in
    assert "token=" not in console.url
    console.reload()
    console.wait_for_selector("#action-call-next:not([disabled])")
    return console


def test_the_board_shows_and_says_a_call_within_a_second_of_the_click(
    system: System, http: httpx.Client, new_page: Any
) -> None:
    typed, _ = new_phone()
    ticket = take_ticket(system, http, service_code="DTKS", phone=typed)
    counter_id = ready_counter(system, http, "DTKS")
    board = new_page(TV)
    board.goto(f"{system.url('ticketing')}/board/{system.site_id}")
    board.wait_for_function("window.antreLive && window.antreLive.snapshots > 0")
    console = open_console(new_page, system, counter_id)

    started = time.monotonic()
    with console.expect_response(lambda r: r.url.endswith("/call-next")) as answer:
        console.click("#action-call-next")
    called = answer.value.json()
    board.wait_for_function(
        "n => document.querySelector('.call.newest')?.dataset.number === n",
        arg=called["number"],
        timeout=3000,
    )
    elapsed = time.monotonic() - started

    assert elapsed < 1.0, f"the board showed {called['number']} {elapsed:.2f} s after the click"
    assert board.text_content(".call.newest .call-counter") == "Loket 9"
    assert (console.text_content("#current-number") or "").startswith(called["number"])
    # the first ticket of DTKS in this run is ours
    assert called["number"] == ticket["number"]
    said = board.wait_for_function(
        "n => (window.antreAnnouncements || []).find(a => a.startsWith('Nomor antrean F'))", timeout=5000
    ).json_value()
    assert re.fullmatch(r"Nomor antrean F [a-z ]+, silakan menuju loket sembilan", said), said
    assert board.text_content("#announcement") == said

    # a recall is said again
    console.click("#action-recall")
    board.wait_for_function("() => window.antreAnnouncements.length >= 2", timeout=5000)
    assert board.evaluate("window.antreAnnouncements")[-1] == said


def test_double_clicking_call_next_calls_one_ticket(
    system: System, http: httpx.Client, new_page: Any
) -> None:
    first = take_ticket(system, http, service_code="PBB", phone=new_phone()[0])
    second = take_ticket(system, http, service_code="PBB", phone=new_phone()[0])
    counter_id = ready_counter(system, http, "PBB")
    console = open_console(new_page, system, counter_id)

    console.dblclick("#action-call-next")
    console.wait_for_selector("#current-number")
    time.sleep(1.0)  # let a second request, if the page had sent one, land

    queue = http.get(f"{system.url('ticketing')}/v1/services/{system.service_id('PBB')}/queue").json()
    at_counter = [t["number"] for t in queue["called"] if t["counter_id"] == counter_id]
    waiting = [t["number"] for t in queue["waiting"]]
    assert at_counter == [first["number"]]
    assert second["number"] in waiting
    assert (console.text_content("#current-number") or "").startswith(first["number"])


def test_a_kiosk_ticket_is_issued_and_printed_on_thermal_paper(system: System, new_page: Any) -> None:
    kiosk = new_page({"width": 1080, "height": 1920})
    kiosk.goto(f"{system.url('ticketing')}/kiosk/{system.site_id}")
    agency = next(a for a in system.catalog["agencies"] if any(s["code"] == "KK" for s in a["services"]))
    service = next(s for s in agency["services"] if s["code"] == "KK")
    kiosk.get_by_role("button", name=agency["name"]).click()
    kiosk.get_by_role("button", name=service["name_id"]).click()
    if service.get("priority_enabled", True):
        kiosk.get_by_role("button", name="Tidak, antrean biasa").click()
    kiosk.wait_for_url(re.compile(r"/kiosk/.+/ticket\?token="))

    number = kiosk.text_content("[data-testid=ticket-number]")
    assert number and re.fullmatch(r"CK-\d{3,}", number), number
    assert kiosk.locator(".ticket-qr svg").is_visible()

    kiosk.emulate_media(media="print")
    assert kiosk.locator("[data-testid=ticket-number]").is_visible()
    assert not kiosk.locator("#print").is_visible(), "buttons are not printed"
    width_mm = kiosk.locator(".ticket").bounding_box()["width"] * MM_PER_CSS_PX
    assert 40 <= width_mm <= 80, f"the ticket is {width_mm:.0f} mm wide"
    pdf = kiosk.pdf(width="80mm", print_background=False)
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000


def test_the_status_page_of_a_whatsapp_ticket_moves_up_when_the_queue_moves(
    system: System, http: httpx.Client, new_page: Any
) -> None:
    take_ticket(system, http, service_code="NPWP", phone=new_phone()[0])
    mine = take_ticket(system, http, service_code="NPWP", phone=new_phone()[0], channel="whatsapp")
    assert mine["channel"] == "whatsapp"
    counter_id = ready_counter(system, http, "NPWP")
    phone = new_page(PHONE)
    phone.goto(mine["status_url"])
    assert phone.text_content("#number") == mine["number"]
    headline = re.search(r"\d+", phone.text_content("#headline") or "")
    assert headline, "the page shows the position"
    before = int(headline.group())
    assert before >= 2
    assert phone.locator("#cancel").is_visible()

    http.post(
        f"{system.url('ticketing')}/v1/counters/{counter_id}/call-next", headers=system.admin
    ).raise_for_status()

    phone.wait_for_function(
        "p => document.getElementById('headline').textContent === `Posisi: ${p}`",
        arg=before - 1,
        timeout=10000,
    )
    # the estimate band and the time to arrive arrive from estimation
    phone.wait_for_selector("#estimate", timeout=30000)
    assert "WITA" in phone.text_content("#arrive-by")

    phone.once("dialog", lambda dialog: dialog.accept())
    phone.click("#cancel")
    phone.wait_for_function("() => document.getElementById('headline').textContent === 'Antrean dibatalkan'")

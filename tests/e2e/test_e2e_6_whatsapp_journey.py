"""Issue #6 end to end: a citizen takes a number, follows it and is called, all on WhatsApp,
through the wa-sandbox and the real registry, ticketing, estimation and notify on real Kafka
and PostgreSQL."""

import time
from typing import Any

import httpx

from tests.e2e.helpers import System, eventually, messages_to, new_phone


class WhatsAppCitizen:
    """One phone in the sandbox: sends as the citizen, reads what notify answered."""

    def __init__(self, system: System, http: httpx.Client) -> None:
        self.system = system
        self.http = http
        self.typed, self.wa_id = new_phone()

    def inbox(self) -> list[dict[str, Any]]:
        return messages_to(self.system, self.http, self.wa_id)

    def _send(self, content: dict[str, Any]) -> None:
        response = self.http.post(
            f"{self.system.url('wa_sandbox')}/sandbox/inbound", json={"from": self.wa_id, **content}
        )
        assert response.status_code == 200, response.text
        assert response.json()["webhook_status"] == 200, response.text

    def say(self, text: str, *, expect: str | None = None, timeout: float = 60) -> dict[str, Any]:
        before = len(self.inbox())
        self._send({"text": text})
        return self._next(before, expect, timeout)

    def tap(
        self, choice: dict[str, str], *, kind: str = "list_reply", expect: str | None = None
    ) -> dict[str, Any]:
        before = len(self.inbox())
        self._send({kind: {"id": choice["id"], "title": choice["title"][:24]}})
        return self._next(before, expect, 60)

    def _next(self, before: int, expect: str | None, timeout: float) -> dict[str, Any]:
        def arrived() -> dict[str, Any] | None:
            fresh = self.inbox()[before:]
            return next((m for m in fresh if expect is None or expect in m["text"]), None)

        return dict(eventually(arrived, timeout=timeout, what=f"a reply to {self.wa_id} with {expect!r}"))

    def wait_for(self, containing: str, timeout: float = 60) -> dict[str, Any]:
        def find() -> dict[str, Any] | None:
            return next((m for m in self.inbox() if containing in m["text"]), None)

        return dict(eventually(find, timeout=timeout, what=f"a message to {self.wa_id} with {containing!r}"))


def rows(message: dict[str, Any]) -> list[dict[str, str]]:
    interactive = message["body"].get("interactive") or {}
    sections = interactive.get("action", {}).get("sections", [])
    return [row for section in sections for row in section["rows"]]


def buttons(message: dict[str, Any]) -> list[dict[str, str]]:
    return [b["reply"] for b in message["body"]["interactive"]["action"]["buttons"]]


def open_menu(citizen: WhatsAppCitizen, word: str = "MENU") -> dict[str, Any]:
    """The menu, once notify has learnt the site's services from the registry's events."""

    def menu() -> dict[str, Any] | None:
        reply = citizen.say(word)
        return reply if rows(reply) else None

    return dict(eventually(menu, timeout=90, interval=1, what="a service menu"))


def choose(citizen: WhatsAppCitizen, system: System, code: str, menu: dict[str, Any]) -> dict[str, Any]:
    """Page through the list ("Lainnya") to the service and tap it: its documents and the
    travel-time buttons come back."""
    return choose_service(citizen, system.service_id(code), menu)


def choose_service(citizen: WhatsAppCitizen, service_id: str, menu: dict[str, Any]) -> dict[str, Any]:
    wanted = f"svc:{service_id}"
    code = service_id
    for _ in range(10):
        listed = rows(menu)
        assert len(listed) <= 10
        row = next((r for r in listed if r["id"] == wanted), None)
        if row is not None:
            return citizen.tap(row)
        more = next((r for r in listed if r["id"].startswith("more:")), None)
        assert more is not None, f"{code} is not in the menu; its last page: {[r['title'] for r in listed]}"
        assert more["title"] in ("Lainnya", "More")
        menu = citizen.tap(more)
    raise AssertionError(f"{code} is not in the menu")


def take_number(citizen: WhatsAppCitizen, system: System, code: str = "PKB-TAHUNAN") -> str:
    chosen = choose(citizen, system, code, open_menu(citizen))
    travel = buttons(chosen)
    assert [b["title"] for b in travel] == ["< 15 menit", "15–30 menit", "> 30 menit"]
    citizen.tap(travel[0], kind="button_reply", expect="Nomor antrean Anda")
    issued = citizen.wait_for("Nomor antrean Anda")["text"]
    return issued.split("*")[1]


def counter_for(system: System, http: httpx.Client, code: str) -> dict[str, Any]:
    counters = http.get(
        f"{system.url('registry')}/v1/counters", headers=system.admin, params={"site_id": system.site_id}
    ).json()
    counters = counters["items"] if isinstance(counters, dict) else counters
    return next(c for c in counters if system.service_id(code) in map(str, c["service_ids"]))


def call_until(system: System, http: httpx.Client, counter_id: str, number: str) -> None:
    """Call next until ``number`` is at the counter; others in the line are served and finished."""
    ticketing = system.url("ticketing")
    assert http.post(f"{ticketing}/v1/counters/{counter_id}/open", headers=system.admin).status_code == 200
    for _ in range(50):
        called = http.post(f"{ticketing}/v1/counters/{counter_id}/call-next", headers=system.admin)
        assert called.status_code == 200, called.text
        if called.json()["number"] == number:
            return
        for step in ("start", "finish"):
            done = http.post(f"{ticketing}/v1/counters/{counter_id}/{step}", headers=system.admin)
            assert done.status_code == 200, done.text
    raise AssertionError(f"{number} was never called")


def test_the_whole_journey_menu_ticket_status_called_finished_survey(
    system: System, http: httpx.Client
) -> None:
    maria = WhatsAppCitizen(system, http)
    chosen = choose(maria, system, "PKB-TAHUNAN", open_menu(maria, "halo"))
    assert "KTP" in chosen["text"] and "menit" in chosen["text"]
    maria.tap(buttons(chosen)[1], kind="button_reply", expect="Nomor antrean Anda")
    issued = maria.wait_for("Nomor antrean Anda")["text"]
    number = issued.split("*")[1]
    assert number.startswith("A-") and "WITA" in issued and "Bawa:" in issued

    assert "menunggu" in maria.say("STATUS", expect=number)["text"]

    counter = counter_for(system, http, "PKB-TAHUNAN")
    call_until(system, http, counter["id"], number)
    maria.wait_for(counter["name"])
    ticketing = system.url("ticketing")
    for step in ("start", "finish"):
        assert (
            http.post(f"{ticketing}/v1/counters/{counter['id']}/{step}", headers=system.admin).status_code
            == 200
        )
    maria.wait_for("Seberapa puas")
    assert "Terima kasih" in maria.say("5")["text"]
    texts = [m["text"] for m in maria.inbox()]
    assert sum(number in t and "Nomor antrean Anda" in t for t in texts) == 1
    assert sum(counter["name"] in t for t in texts) == 1


def test_batal_cancels_the_whatsapp_ticket(system: System, http: httpx.Client) -> None:
    budi = WhatsAppCitizen(system, http)
    number = take_number(budi, system, "PKB-TAHUNAN")
    assert "dibatalkan" in budi.say("BATAL", expect=number)["text"]
    assert "batal" in budi.say("STATUS", expect=number)["text"].lower()


def test_bahasa_switches_to_english(system: System, http: httpx.Client) -> None:
    ana = WhatsAppCitizen(system, http)
    assert "English" in ana.say("BAHASA")["text"]
    menu = open_menu(ana, "MENU")
    assert "Choose a service" in str(menu["body"]["interactive"]["action"]["button"])
    assert "Sorry" in ana.say("apa?")["text"]


def test_berhenti_stops_every_message(system: System, http: httpx.Client) -> None:
    yohanes = WhatsAppCitizen(system, http)
    take_number(yohanes, system, "PKB-TAHUNAN")
    assert "MULAI" in yohanes.say("BERHENTI")["text"]
    count = len(yohanes.inbox())
    for text in ("MENU", "STATUS", "halo"):
        yohanes._send({"text": text})
    time.sleep(4)
    assert len(yohanes.inbox()) == count


def test_a_notify_restart_mid_conversation_sends_nothing_twice(system: System, http: httpx.Client) -> None:
    citizens = [WhatsAppCitizen(system, http) for _ in range(3)]
    for citizen in citizens:
        open_menu(citizen)
    for citizen in citizens:
        citizen._send({"text": "BANTUAN"})
    system.stack.restart_service("notify")
    for citizen in citizens:
        citizen._send({"text": "BANTUAN"})
    for citizen in citizens:
        eventually(
            lambda c=citizen: sum("*BERHENTI*" in m["text"] for m in c.inbox()) >= 2,
            timeout=60,
            what="both help replies",
        )
    time.sleep(2)
    for citizen in citizens:
        helps = [m for m in citizen.inbox() if "*BERHENTI*" in m["text"]]
        assert len(helps) == 2, [m["text"] for m in citizen.inbox()]


def test_meta_retrying_a_webhook_gets_one_answer(system: System, http: httpx.Client) -> None:
    rina = WhatsAppCitizen(system, http)
    open_menu(rina)
    before = len(rina.inbox())
    rina._send({"text": "BANTUAN", "repeat": 3})
    rina.wait_for("*BERHENTI*")
    time.sleep(2)
    assert len(rina.inbox()) == before + 1


def test_throttled_and_pair_limited_sends_wait_and_go_out_once_in_order(
    system: System, http: httpx.Client
) -> None:
    dewi = WhatsAppCitizen(system, http)
    open_menu(dewi)
    faults = f"{system.url('wa_sandbox')}/sandbox/faults"
    before = len(dewi.inbox())
    for fault in ({"status": 429, "code": 130429, "count": 2}, {"status": 400, "code": 131056, "count": 1}):
        assert http.post(faults, json={**fault, "to": dewi.wa_id}).status_code == 201
    started = time.monotonic()
    dewi._send({"text": "BANTUAN"})
    dewi._send({"text": "BAHASA"})
    eventually(lambda: len(dewi.inbox()) >= before + 2, timeout=60, what="both replies")
    waited = time.monotonic() - started
    texts = [m["text"] for m in dewi.inbox()[before:]]
    assert len(texts) == 2 and "*BERHENTI*" in texts[0] and "English" in texts[1], texts
    assert waited >= 5, "the pair rate limit (131056) must be waited out, not hammered"

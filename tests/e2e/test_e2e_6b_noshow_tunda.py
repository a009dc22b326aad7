"""Issue #6 end to end, the rest of the citizen's WhatsApp journey on the running system (real
registry, ticketing, estimation and notify on real Kafka and PostgreSQL, the wa-sandbox as
Meta): missed call and TUNDA, "N more ahead", a transfer to another service, and a slow Meta.

Services used here (no other end-to-end test takes numbers for them, so the order of the
lines is this file's own): NIB (Loket 14), JHT-KLAIM and BPJSTK-DAFTAR (Loket 8).
"""

import re
import time
from typing import Any

import httpx

from tests.e2e.helpers import System, eventually, new_phone, take_ticket
from tests.e2e.test_e2e_6_whatsapp_journey import WhatsAppCitizen, counter_for, take_number

FEW_AHEAD = re.compile(r"Tinggal (\d+) antrean lagi sebelum nomor \*([A-Z]+-\d+)\*")


class Officer:
    """The officer at one counter, with the platform admin token (this pass's only staff auth)."""

    def __init__(self, system: System, http: httpx.Client, counter: dict[str, Any]) -> None:
        self.system = system
        self.http = http
        self.counter = counter

    def act(self, action: str) -> dict[str, Any]:
        response = self.http.post(
            f"{self.system.url('ticketing')}/v1/counters/{self.counter['id']}/{action}",
            headers=self.system.admin,
        )
        assert response.status_code == 200, f"{action}: {response.status_code} {response.text}"
        return dict(response.json())

    def open(self) -> None:
        """Open the counter; one another test of this file left open stays open."""
        response = self.http.post(
            f"{self.system.url('ticketing')}/v1/counters/{self.counter['id']}/open", headers=self.system.admin
        )
        assert response.status_code == 200 or "already open" in response.text, response.text

    def serve_until(self, number: str) -> None:
        """Call next, serving and finishing everyone else, until ``number`` is at the counter."""
        for _ in range(50):
            if self.act("call-next")["number"] == number:
                return
            self.act("start")
            self.act("finish")
        raise AssertionError(f"{number} was never called")


def count(citizen: WhatsAppCitizen, text: str) -> int:
    return sum(text in message["text"] for message in citizen.inbox())


def test_a_missed_call_tunda_rejoins_and_the_second_call_is_messaged(
    system: System, http: httpx.Client
) -> None:
    agus = WhatsAppCitizen(system, http)
    number = take_number(agus, system, "NIB")
    officer = Officer(system, http, counter_for(system, http, "NIB"))
    loket = officer.counter["name"]  # "Loket 14"
    called = f"Nomor *{number}* dipanggil. Silakan menuju *{loket}* sekarang."

    officer.open()
    officer.serve_until(number)
    agus.wait_for(called)
    officer.act("no-show")
    missed = agus.wait_for("Balas *TUNDA*")["text"]
    assert number in missed and "tidak datang" in missed

    confirmed = agus.say("TUNDA", expect="masuk antrean lagi")["text"]
    assert f"Nomor *{number}* masuk antrean lagi" in confirmed

    officer.serve_until(number)
    eventually(lambda: count(agus, called) == 2, timeout=60, what=f"the second call of {number} to {loket}")
    time.sleep(3)  # anything sent twice (the rejoin's event and the TUNDA reply, a redelivery) shows now
    texts = [m["text"] for m in agus.inbox()]
    assert count(agus, called) == 2, texts
    assert count(agus, "masuk antrean lagi") == 1, "the rejoin is confirmed once: " + repr(texts)
    assert count(agus, "Balas *TUNDA*") == 1, texts
    assert count(agus, "dipanggil ulang") == 0, "the call after a rejoin is a call, not a recall"
    def kind(text: str) -> str | None:
        if text == called:
            return "called"
        if "Balas *TUNDA*" in text:
            return "missed"
        return "rejoined" if "masuk antrean lagi" in text else None

    assert [k for k in map(kind, texts) if k] == ["called", "missed", "rejoined", "called"], texts

    officer.act("start")
    officer.act("finish")
    agus.wait_for("Seberapa puas")


def test_few_places_ahead_is_told_once_as_the_line_moves(system: System, http: httpx.Client) -> None:
    officer = Officer(system, http, counter_for(system, http, "JHT-KLAIM"))
    ahead = [
        take_ticket(system, http, service_code="JHT-KLAIM", phone=new_phone()[0])["number"] for _ in range(4)
    ]
    sari = WhatsAppCitizen(system, http)
    number = take_number(sari, system, "JHT-KLAIM")
    # her first message already gave the call time; nothing about places ahead yet
    time.sleep(2)
    assert count(sari, "antrean lagi sebelum") == 0

    officer.open()
    served: list[str] = []
    while True:
        calling = officer.act("call-next")["number"]
        if calling == number:
            break
        served.append(calling)
        officer.act("start")
        officer.act("finish")
        time.sleep(2)  # the line moves at a human pace: each move is estimated before the next
    assert set(ahead) <= set(served)
    sari.wait_for(f"Nomor *{number}* dipanggil. Silakan menuju *{officer.counter['name']}*")

    time.sleep(3)
    few = [FEW_AHEAD.search(m["text"]) for m in sari.inbox()]
    told = [(int(m.group(1)), m.group(2)) for m in few if m]
    assert len(told) == 1, [m["text"] for m in sari.inbox()]
    assert told[0] == (2, number), "crossing into the last 3 places: 2 still ahead"
    texts = [m["text"] for m in sari.inbox()]
    few_at = next(i for i, t in enumerate(texts) if FEW_AHEAD.search(t))
    called_at = next(i for i, t in enumerate(texts) if "Silakan menuju" in t)
    assert few_at < called_at
    officer.act("start")
    officer.act("finish")


def test_a_slow_meta_delays_replies_but_each_goes_once_in_order(system: System, http: httpx.Client) -> None:
    rudi = WhatsAppCitizen(system, http)
    assert "BERHENTI" in rudi.say("BANTUAN")["text"]
    before = len(rudi.inbox())
    fault = http.post(f"{system.url('wa_sandbox')}/sandbox/faults",
                      json={"delay_seconds": 3, "count": 1, "to": rudi.wa_id})
    assert fault.status_code == 201, fault.text

    started = time.monotonic()
    rudi._send({"text": "BANTUAN"})
    rudi._send({"text": "BAHASA"})
    eventually(lambda: len(rudi.inbox()) >= before + 2, timeout=60, what="both replies")
    waited = time.monotonic() - started
    time.sleep(2)
    texts = [m["text"] for m in rudi.inbox()[before:]]
    assert len(texts) == 2 and "*BERHENTI*" in texts[0] and "English" in texts[1], texts
    assert waited >= 3, "the first answer came only after Meta's delay"


def test_an_answer_slower_than_notifys_timeout_is_not_sent_twice(system: System, http: httpx.Client) -> None:
    """Meta accepts the message but answers after notify gave up (ANTRE_SEND_TIMEOUT_SECONDS,
    10 s): the status callback, which echoes notify's message id, settles it; no resend."""
    tono = WhatsAppCitizen(system, http)
    assert "BERHENTI" in tono.say("BANTUAN")["text"]
    before = len(tono.inbox())
    fault = http.post(f"{system.url('wa_sandbox')}/sandbox/faults",
                      json={"delay_seconds": 13, "count": 1, "to": tono.wa_id})
    assert fault.status_code == 201, fault.text

    tono._send({"text": "BANTUAN"})
    tono._send({"text": "BAHASA"})
    eventually(lambda: len(tono.inbox()) >= before + 2, timeout=60, what="both replies")
    time.sleep(5)  # a resend would follow the timeout at once; the confirmation window is 120 s
    texts = [m["text"] for m in tono.inbox()[before:]]
    assert len(texts) == 2 and "*BERHENTI*" in texts[0] and "English" in texts[1], texts


def test_a_transferred_citizen_gets_the_new_number_and_status_and_batal_follow_it(
    system: System, http: httpx.Client
) -> None:
    lina = WhatsAppCitizen(system, http)
    number = take_number(lina, system, "JHT-KLAIM")
    officer = Officer(system, http, counter_for(system, http, "JHT-KLAIM"))
    officer.open()
    officer.serve_until(number)
    lina.wait_for(officer.counter["name"])
    moved = http.post(
        f"{system.url('ticketing')}/v1/counters/{officer.counter['id']}/transfer",
        headers=system.admin,
        json={"to_service_id": system.service_id("BPJSTK-DAFTAR")},
    )
    assert moved.status_code == 200, moved.text
    new_number = moved.json()["new_ticket"]["number"]
    assert new_number.startswith("EP-") and new_number != number

    told = lina.wait_for(f"*{new_number}*")["text"]
    assert "Nomor antrean Anda" in told
    assert new_number in lina.say("STATUS", expect=new_number)["text"]
    assert "dibatalkan" in lina.say("BATAL", expect="dibatalkan")["text"]
    queue = http.get(
        f"{system.url('ticketing')}/v1/services/{system.service_id('BPJSTK-DAFTAR')}/queue",
        headers=system.admin,
    )
    assert queue.status_code == 200, queue.text
    assert new_number not in queue.text, "BATAL cancelled the new ticket, not the old one"

"""Screenshots of the hall's four pages at phone (390x844) and TV (1920x1080) sizes.

Starts the whole system as the end-to-end tests do (Kafka, PostgreSQL and the services on
free ports in a fresh folder under /tmp, the demo MPP Kota Kupang seeded), makes some
activity (tickets, counters calling), then saves PNGs into docs/screenshots/ with
Debian's headless Chromium (no browser download). Run: ``python tools/screenshots.py``
(``make screenshots``).
"""

import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from antre_contracts.topics import PARTITIONS
from antre_devstack.infra import Infra, default_cache_dir
from antre_devstack.ports import free_port, free_ports
from antre_devstack.secrets import DevSecrets
from antre_devstack.stack import DATABASES, ServicePorts, Stack
from playwright.sync_api import Browser, ViewportSize, sync_playwright

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIZES: dict[str, ViewportSize] = {
    "phone": {"width": 390, "height": 844},
    "tv": {"width": 1920, "height": 1080},
}


def until(check: Callable[[], Any], what: str, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.5)
    raise TimeoutError(f"timed out waiting for {what}")


class Demo:
    """The running system and the few calls that make the hall look busy."""

    def __init__(self, stack: Stack, http: httpx.Client) -> None:
        self.stack, self.http = stack, http
        self.admin = {"Authorization": f"Bearer {stack.secrets.admin_token}"}
        sites = http.get(
            f"{stack.url('registry')}/v1/sites", params={"code": "MPP-KPG"}, headers=self.admin
        ).json()
        self.site = (sites["items"] if isinstance(sites, dict) else sites)[0]
        self.catalog = http.get(f"{stack.url('registry')}/v1/sites/{self.site['id']}/catalog").json()
        counters = http.get(
            f"{stack.url('registry')}/v1/counters", headers=self.admin, params={"site_id": self.site["id"]}
        ).json()
        self.counters = counters["items"] if isinstance(counters, dict) else counters

    def service_id(self, code: str) -> str:
        return next(
            str(s["id"]) for a in self.catalog["agencies"] for s in a["services"] if s["code"] == code
        )

    def ticket(self, code: str, *, channel: str = "kiosk", priority: str = "regular") -> dict[str, Any]:
        body: dict[str, Any] = {"service_id": self.service_id(code), "channel": channel, "priority": priority}
        if channel == "web":
            body["phone"] = "0812" + "".join(secrets.choice("0123456789") for _ in range(8))
        headers = {"Idempotency-Key": secrets.token_hex(8)}

        def attempt() -> dict[str, Any] | None:
            response = self.http.post(f"{self.stack.url('ticketing')}/v1/tickets", json=body, headers=headers)
            return dict(response.json()) if response.status_code in (200, 201) else None

        return dict(until(attempt, f"a {code} ticket"))

    def counter(self, name: str) -> str:
        return str(next(c["id"] for c in self.counters if c["name"] == name))

    def act(self, counter_name: str, action: str) -> None:
        counter_id = self.counter(counter_name)
        until(
            lambda: (
                self.http.post(
                    f"{self.stack.url('ticketing')}/v1/counters/{counter_id}/{action}", headers=self.admin
                ).status_code
                in (200, 204)
            ),
            f"{counter_name} {action}",
        )

    def make_activity(self) -> dict[str, Any]:
        for code, n in (("PKB-TAHUNAN", 6), ("SIM-PERPANJANG", 4), ("KTP-EL", 5), ("NPWP", 2), ("PBB", 3)):
            for i in range(n):
                self.ticket(code, priority="elderly" if i == 2 else "regular")
        for name in ("Loket 1", "Loket 2", "Loket 3", "Loket 5", "Loket 10"):
            self.act(name, "open")
            self.act(name, "call-next")
        self.act("Loket 3", "start")
        self.act("Loket 1", "start")
        self.act("Loket 1", "finish")
        self.act("Loket 1", "call-next")
        citizen = self.ticket("PKB-TAHUNAN", channel="web")
        estimation = self.stack.url("estimation")
        until(
            lambda: self.http.get(f"{estimation}/v1/tickets/{citizen['id']}/estimate").status_code == 200,
            "estimation to estimate the citizen's ticket",
        )
        until(
            lambda: (
                self.http.get(
                    f"{estimation}/v1/services/{self.service_id('PKB-TAHUNAN')}/forecast"
                ).status_code
                == 200
            ),
            "a forecast",
        )
        return citizen


def shoot(browser: Browser, demo: Demo, citizen: dict[str, Any]) -> list[Path]:
    ticketing = demo.stack.url("ticketing")
    site_id = demo.site["id"]
    pages = {
        "board": f"{ticketing}/board/{site_id}",
        "counter": f"{ticketing}/counter/{demo.counter('Loket 1')}?token={demo.stack.secrets.admin_token}",
        "kiosk": f"{ticketing}/kiosk/{site_id}",
        "status": citizen["status_url"],
    }
    saved = []
    for size, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, locale="id-ID")
        for name, url in pages.items():
            page = context.new_page()
            page.goto(url)
            # the board's newest call flashes three times: shoot it after the flashing
            page.wait_for_timeout(3500 if name == "board" else 1500)
            if name == "kiosk":
                page.get_by_role("button", name="SAMSAT").first.click()
                page.wait_for_timeout(300)
            path = OUT / f"{name}-{size}.png"
            page.screenshot(path=str(path))
            saved.append(path)
            page.close()
        context.close()
    # the kiosk's printed ticket on an 80 mm roll
    context = browser.new_context(viewport={"width": 302, "height": 700})
    page = context.new_page()
    kiosk_ticket = demo.ticket("KK")
    page.goto(f"{ticketing}/kiosk/{site_id}/ticket?token={kiosk_ticket['access_token']}")
    page.emulate_media(media="print")
    path = OUT / "kiosk-ticket-print.png"
    page.screenshot(path=str(path), full_page=True)
    saved.append(path)
    context.close()
    return saved


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    state = Path(tempfile.mkdtemp(prefix="antre-shots-", dir="/tmp"))
    kafka_port, controller_port, pg_port = free_ports(3)
    infra = Infra(state, kafka_port, controller_port, pg_port, default_cache_dir())
    stack = Stack(
        state_dir=state / "stack",
        kafka_bootstrap=infra.kafka.bootstrap_servers,
        database_url=infra.postgres.dsn,
        secrets=DevSecrets.generate(),
        ports=ServicePorts(**{name: free_port() for name, _ in ServicePorts().items()}),
        env="test",
        extra_env={"ANTRE_ENFORCE_HOURS": "false"},
    )
    try:
        infra.up(databases=DATABASES, topics=PARTITIONS)
        stack.start(progress=print)
        stack.seed(progress=print)
        with httpx.Client(timeout=15) as http:
            demo = Demo(stack, http)
            citizen = demo.make_activity()
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                try:
                    for path in shoot(browser, demo, citizen):
                        size_kb = path.stat().st_size // 1024
                        print(f"[screenshots] {path.relative_to(OUT.parents[1])} ({size_kb} KB)")
                finally:
                    browser.close()
    finally:
        stack.stop()
        infra.down()
        shutil.rmtree(state, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

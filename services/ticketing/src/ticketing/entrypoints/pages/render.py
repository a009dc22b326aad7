"""HTML shells of the pages: the state and the strings travel as JSON, one script renders them."""

import html
import json
from typing import Any

from ticketing.entrypoints.pages.i18n import Lang, strings

_STATIC = "/hall-static"


def page(
    *, title: str, lang: Lang, kind: str, state: dict[str, Any], body: str = "", script: str | None = None
) -> str:
    """A whole page: its CSS, a language switch, its state as JSON and its script (if any)."""
    boot = json.dumps({"kind": kind, "lang": lang, "t": strings(lang), "state": state}, default=str)
    # "</" cannot end the script element early once escaped.
    boot = boot.replace("</", "<\\/")
    other = "en" if lang == "id" else "id"
    scripts = f'<script src="{_STATIC}/{script}" defer></script>' if script else ""
    return f"""<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="{_STATIC}/hall.css">
</head>
<body class="page-{kind}">
<a class="lang-switch" href="?lang={other}" hreflang="{other}">{html.escape(strings(lang)["language"])}</a>
{body}
<script type="application/json" id="antre-boot">{boot}</script>
<script src="{_STATIC}/common.js" defer></script>
{scripts}
</body>
</html>"""


def message_page(*, title: str, lang: Lang, message: str) -> str:
    return page(
        title=title,
        lang=lang,
        kind="message",
        state={},
        body=f'<main class="message"><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p></main>',
    )


def kiosk_ticket_page(*, lang: Lang, site_id: str, ticket: dict[str, Any], qr_svg: str) -> str:
    """The issued ticket, large on screen and as a 58/80 mm thermal print (see hall.css @media print)."""
    t = strings(lang)
    position = ticket.get("position")
    ahead = (
        f'<p class="ticket-ahead">{int(position) - 1} {html.escape(t["people_ahead"])}</p>'
        if position
        else ""
    )
    home = f"/kiosk/{html.escape(site_id)}?lang={lang}"
    body = f"""<main class="kiosk-ticket" data-site="{html.escape(site_id)}">
<section class="ticket" aria-labelledby="ticket-label">
<p class="ticket-site">{html.escape(str(ticket.get("site_name", "")))}</p>
<p id="ticket-label" class="ticket-label">{html.escape(t["your_number"])}</p>
<p class="ticket-number" data-testid="ticket-number">{html.escape(str(ticket["number"]))}</p>
<p class="ticket-service">{html.escape(str(ticket.get("service_name", "")))}</p>
{ahead}
<p class="ticket-issued">{html.escape(str(ticket.get("issued_local", "")))}</p>
<div class="ticket-qr" role="img" aria-label="{html.escape(t["scan_status"])}">{qr_svg}</div>
<p class="ticket-scan">{html.escape(t["scan_status"])}</p>
</section>
<div class="kiosk-actions no-print">
<button type="button" class="big" id="print">{html.escape(t["print"])}</button>
<a class="big button secondary" id="done" href="{home}">{html.escape(t["done"])}</a>
</div>
</main>"""
    return page(
        title=f"{t['your_number']} {ticket['number']}",
        lang=lang,
        kind="kiosk-ticket",
        state={"site_id": site_id},
        body=body,
        script="kiosk.js",
    )

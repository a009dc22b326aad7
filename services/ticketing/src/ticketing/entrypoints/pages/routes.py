"""The hall's pages (board, counter console, kiosk, citizen status) and their live stream."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import httpx
import segno
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles

from ticketing.domain.errors import NotFound
from ticketing.entrypoints.deps import StaffActor
from ticketing.entrypoints.pages import render
from ticketing.entrypoints.pages.hall import HallReads, Neighbours, SiteFeed
from ticketing.entrypoints.pages.i18n import Lang, lang_of, strings
from ticketing.entrypoints.pages.views import Hall, board_state, console_state, kiosk_state, status_state

STATIC = Path(__file__).parent / "static"
# A stream ends after this long and the browser's EventSource reconnects at once: a server
# shutdown never waits long for a board to hang up.
STREAM_SECONDS = 15.0
KEEPALIVE_SECONDS = 10.0

pages = APIRouter(tags=["pages"], include_in_schema=False)
live = APIRouter(tags=["board"])

LangParam = Annotated[
    str | None, Query(max_length=5, description="'en' for English; Bahasa Indonesia otherwise.")
]
AccessTokenPath = Annotated[str, PathParam(min_length=1, max_length=200)]


def hall_of(request: Request) -> Hall:
    hall: Hall = request.app.state.hall
    return hall


def feed_of(request: Request) -> SiteFeed:
    feed: SiteFeed = request.app.state.hall_feed
    return feed


@live.get(
    "/v1/sites/{site_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "`event: snapshot` with the board's state, "
            "sent on connect and whenever the site's queue changes",
        },
        404: {"description": "No such site."},
    },
)
async def site_events(site_id: UUID, request: Request) -> StreamingResponse:
    """Server-sent events for the board and the consoles: the board's state on every change."""
    if await hall_of(request).reads.site_state(site_id) is None:
        raise NotFound(f"No site with id {site_id}.")
    return StreamingResponse(
        _stream(feed_of(request), site_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _stream(feed: SiteFeed, site_id: UUID) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    queue = feed.subscribe(site_id)
    deadline = loop.time() + STREAM_SECONDS
    try:
        yield "retry: 500\n\n"
        while (left := deadline - loop.time()) > 0:
            try:
                payload = await asyncio.wait_for(queue.get(), timeout=min(left, KEEPALIVE_SECONDS))
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            yield f"event: snapshot\ndata: {payload}\n\n"
    finally:
        feed.unsubscribe(site_id, queue)


@pages.get("/board/{site_id}", response_class=HTMLResponse)
async def board_page(site_id: UUID, request: Request, lang: LangParam = None) -> HTMLResponse:
    language = lang_of(lang)
    hall = hall_of(request)
    if await hall.reads.site_state(site_id) is None:
        return _not_found(language, f"No site {site_id}.")
    state = await board_state(site_id, hall)
    return HTMLResponse(
        render.page(
            title=f"{strings(language)['board_title']} · {state['site']['name']}",
            lang=language,
            kind="board",
            state=state,
            script="board.js",
        )
    )


@pages.get("/counter/{counter_id}", response_class=HTMLResponse)
async def counter_page(counter_id: UUID, lang: LangParam = None) -> HTMLResponse:
    """The console's shell; its script asks for the counter's state with the staff token."""
    language = lang_of(lang)
    return HTMLResponse(
        render.page(
            title=strings(language)["console_title"],
            lang=language,
            kind="counter",
            state={"counter_id": str(counter_id)},
            script="counter.js",
        )
    )


@pages.get("/counter/{counter_id}/state", tags=["counters"])
async def counter_state(counter_id: UUID, request: Request, actor: StaffActor) -> dict[str, Any]:
    """What the console shows: the counter, its current ticket, its waiting line, transfer targets."""
    return await console_state(counter_id, hall_of(request), actor)


@pages.get("/kiosk/{site_id}", response_class=HTMLResponse)
async def kiosk_page(site_id: UUID, request: Request, lang: LangParam = None) -> HTMLResponse:
    language = lang_of(lang)
    hall = hall_of(request)
    if await hall.reads.site_state(site_id) is None:
        return _not_found(language, f"No site {site_id}.")
    state = await kiosk_state(site_id, hall)
    return HTMLResponse(
        render.page(
            title=f"{strings(language)['kiosk_title']} · {state['site']['name']}",
            lang=language,
            kind="kiosk",
            state=state,
            script="kiosk.js",
        )
    )


@pages.get("/kiosk/{site_id}/ticket", response_class=HTMLResponse)
async def kiosk_ticket(
    site_id: UUID,
    request: Request,
    token: Annotated[str, Query(min_length=1, max_length=200)],
    lang: LangParam = None,
) -> HTMLResponse:
    """The ticket just issued, with a QR code of its status link, ready for the thermal printer."""
    language = lang_of(lang)
    hall = hall_of(request)
    try:
        ticket = await status_state(token, hall)
    except NotFound:
        return _not_found(language, strings(language)["not_found"])
    status_url = hall.ticketing.status_url(token)
    qr_svg = segno.make(status_url, error="m").svg_inline(scale=4, border=2)
    return HTMLResponse(
        render.kiosk_ticket_page(lang=language, site_id=str(site_id), ticket=ticket, qr_svg=qr_svg)
    )


@pages.get("/t/{access_token}", response_class=HTMLResponse)
async def status_page(
    access_token: AccessTokenPath, request: Request, lang: LangParam = None
) -> HTMLResponse:
    language = lang_of(lang)
    try:
        state = await status_state(access_token, hall_of(request))
    except NotFound:
        return _not_found(language, strings(language)["not_found"])
    return HTMLResponse(
        render.page(
            title=f"{strings(language)['status_title']} {state['number']}",
            lang=language,
            kind="status",
            state={**state, "token": access_token},
            script="status.js",
        )
    )


@pages.get("/t/{access_token}/state")
async def status_json(access_token: AccessTokenPath, request: Request) -> dict[str, Any]:
    """The status page's light poll: a few hundred bytes."""
    return await status_state(access_token, hall_of(request))


def _not_found(lang: Lang, message: str) -> HTMLResponse:
    title = "Tidak ditemukan" if lang == "id" else "Not found"
    return HTMLResponse(render.message_page(title=title, lang=lang, message=message), status_code=404)


def install_pages(app: FastAPI) -> None:
    """Add the pages, their static files and the live stream to ticketing's app."""
    ticketing = app.state.ticketing
    settings = ticketing.settings
    client = httpx.AsyncClient(timeout=2.0)
    hall = Hall(
        ticketing=ticketing,
        reads=HallReads(lambda: ticketing.runtime.pool),
        neighbours=Neighbours(client=client, settings=settings),
    )
    feed = SiteFeed(lambda site_id: board_state(site_id, hall), settings.hall_poll_seconds)
    app.state.hall = hall
    app.state.hall_feed = feed

    async def stop(_: object) -> None:
        await feed.close()
        await client.aclose()

    ticketing.runtime.on_stop.append(stop)
    app.include_router(live)
    app.include_router(pages)
    app.mount("/hall-static", StaticFiles(directory=STATIC), name="hall-static")

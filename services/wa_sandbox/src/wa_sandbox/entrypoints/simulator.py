"""``/``: the phone simulator page, one static file of HTML and a little JavaScript."""

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse


def simulator_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    page = files("wa_sandbox.entrypoints").joinpath("static/phone.html").read_text(encoding="utf-8")

    @router.get("/")
    async def phone_page() -> HTMLResponse:
        return HTMLResponse(page)

    return router

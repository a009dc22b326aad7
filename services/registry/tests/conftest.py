"""The registry app in-process on a real PostgreSQL database."""

from collections.abc import AsyncIterator

import httpx
import pytest
from antre_platform.clock import FixedClock
from fastapi import FastAPI
from registry.main import create_app

from .support import ADMIN_TOKEN, NOW, Database, registry_settings


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    app = create_app(registry_settings(database_url), clock=FixedClock(NOW))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def admin(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client sending the admin token."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://registry",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    ) as client:
        yield client


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://registry"
    ) as client:
        yield client


@pytest.fixture
def db(database_url: str) -> Database:
    return Database(database_url)

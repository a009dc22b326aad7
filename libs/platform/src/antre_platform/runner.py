"""Run a service's ASGI app under uvicorn with the host and port from its settings."""

import logging

import uvicorn
from fastapi import FastAPI

from antre_platform.settings import ServiceSettings


def configure_logging(service: str, level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format=f"%(asctime)s %(levelname)s antre-{service} %(name)s: %(message)s",
    )


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    # Live streams (SSE) stay open; do not let them hold a shutdown for long.
    uvicorn.run(app, host=settings.http_host, port=settings.http_port,
                log_level=settings.log_level, access_log=False, timeout_graceful_shutdown=3)

"""The hall's web pages, served by ticketing: display board, counter console, kiosk, status page."""

from ticketing.entrypoints.pages.routes import install_pages

__all__ = ["install_pages"]

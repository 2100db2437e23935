"""The ASGI app for uvicorn: ``uvicorn resident_card.main:app``."""

from resident_card.app import create_app

app = create_app()

"""The ASGI app for uvicorn: ``uvicorn toshav.main:app``."""

import gc
import os

from kernel import logs
from toshav.app import create_app

logs.configure(os.environ.get("TOSHAV_LOG_LEVEL", "info"))
app = create_app()

# What the process made to start (the app, its routes, models and schemas: objects that live as
# long as it does) is set aside from the cyclic garbage collector, whose full passes would walk all
# of it again and again under load.
gc.collect()
gc.freeze()

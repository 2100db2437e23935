"""Messages as the root mounts them: the outbox every notice goes to, its delivery, the inbox."""

from __future__ import annotations

from kernel.manifest import Manifest
from kernel.pages import STATIC_URL
from messages import demo, endpoints, metrics, retention, rights, tasks
from messages.bulletins import endpoints as bulletins
from messages.service import outbox
from messages.settings import MessagesSettings
from messages.web import pages

MANIFEST = Manifest(
    name="messages",
    routers=(endpoints.router, bulletins.router),
    demo=(demo.load_demo,),
    static=((STATIC_URL, pages.STATIC),),
    page_parts=pages.PARTS,
    jobs=(tasks.DELIVER, retention.RETENTION),
    retention=retention.RULES,
    settings=MessagesSettings,
    plug_ins=(outbox.BOX, rights.EXPORT, rights.ERASURE),
    metrics=metrics.METRICS,
)

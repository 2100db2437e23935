"""What a domain brings to the service, in one typed value each domain exports as ``MANIFEST``.

The composition root (``toshav``) builds the app, the command line, the demo and the registries
from the manifests of the domains a deployment turns on (``TOSHAV_MODULES``); a domain that is off
brings nothing: no routes, no pages, no commands, no runtime parts, no jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import click
from fastapi import APIRouter
from sqlalchemy.orm import Session

from kernel.metrics import Metrics
from kernel.pages import PagePart
from kernel.retention import Retention
from kernel.runtime import RuntimePart
from kernel.schedule import Drain, Job
from kernel.settings import Settings

# Loads a domain's demo data (idempotent), saying what it made, a line each.
DemoLoader = Callable[[Session, Settings, datetime], list[str]]


@dataclass(frozen=True)
class Manifest:
    """A domain's parts, for the root to mount. ``plug_ins`` are the domain's contributions to
    registries other domains own (facts for the eligibility engine, lines on the card's summary,
    credentials a signing key must not strand), each typed by the domain that owns the registry."""

    name: str
    # Under /api/v1, matched in this order.
    routers: tuple[APIRouter, ...] = ()
    # At the site's root (/.well-known/jwks.json).
    root_routers: tuple[APIRouter, ...] = ()
    commands: tuple[click.Command, ...] = ()
    # Demo data, loaded in the domains' order; and lines for ``toshav demo logins``.
    demo: tuple[DemoLoader, ...] = ()
    demo_logins: tuple[DemoLoader, ...] = ()
    # The domain's web pages (HTML routes) and static folders (URL prefix, folder), and the parts it
    # adds to other domains' pages.
    pages: tuple[APIRouter, ...] = ()
    static: tuple[tuple[str, Path], ...] = ()
    page_parts: tuple[PagePart, ...] = ()
    # Made when a process starts serving, stopped when it stops (caches, writers, keys).
    runtime_parts: tuple[RuntimePart, ...] = ()
    # Work that runs by itself on a schedule (the worker runs the enabled domains' jobs).
    jobs: tuple[Job | Drain, ...] = ()
    # How long each kind of the domain's personal records is kept; its nightly job applies them and
    # the privacy page states them.
    retention: tuple[Retention, ...] = ()
    # The domain's settings: ``Settings`` and its own fields (TOSHAV_<DOMAIN>_…). The root's settings
    # class has every domain's, on or off, so an operator's whole environment is always checked.
    settings: type[Settings] | None = None
    # Installed by the root when the domain is on, in place of what was there; never by an import.
    plug_ins: tuple[object, ...] = ()
    # What the operators' /metrics shows of the domain: counters it raises where things happen,
    # and readings of the database (kernel/metrics.py).
    metrics: Metrics = ()

"""What the service owes everyone who uses it: a privacy notice and an accessibility statement
whose figures and contacts come from the running settings, and the source of the running version
(AGPL-3.0, section 13).

``GET /api/v1/about`` answers what the two pages state live: every enabled domain's retention
rules (``Manifest.retention``) with the days the settings give, and whom to contact. ``/source``
answers a gzipped tarball of the code this process runs, read from its own files, or redirects to
``TOSHAV_SOURCE_URL`` where a deployment publishes it.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from kernel.manifest import Manifest
from kernel.settings import AppSettings
from toshav.domains import enabled

# The project's root: the folder that holds pyproject.toml and the packages.
ROOT = Path(__file__).resolve().parent.parent
# What the source holds: the files that build, configure and run the service.
SOURCE_FILES = (
    "pyproject.toml",
    "uv.lock",
    "alembic.ini",
    "Makefile",
    "README.md",
    "CONTRIBUTING.md",
    "LICENSE",
    "SECURITY.md",
)
SOURCE_FOLDERS = (
    "kernel",
    "toshav",
    "resident_card",
    "messages",
    "jobs",
    "figures",
    "benefits",
    "parking",
    "cashback",
    "migrations",
    "deploy",
)
# Never in the source: what a run leaves behind, and secrets.
LEFT_OUT_FOLDERS = frozenset({"__pycache__", "secrets"})
LEFT_OUT_SUFFIXES = frozenset({".pyc", ".pyo", ".db", ".pem", ".key"})
LEFT_OUT_NAMES = frozenset({".env"})


class Kept(BaseModel):
    kind: str
    days: int
    setting: str


class Contact(BaseModel):
    name: str | None = None
    phone: str | None = None
    email: str


class About(BaseModel):
    retention: list[Kept]
    privacy_contact: Contact
    accessibility_coordinator: Contact
    source: str


router = APIRouter(tags=["about"])


def retention_of(manifests: Sequence[Manifest], settings: AppSettings) -> list[Kept]:
    return [
        Kept(kind=rule.kind, days=rule.days(settings), setting=rule.variable)
        for manifest in manifests
        for rule in manifest.retention
    ]


@router.get("/about", response_model=About)
def about(settings: AppSettings) -> About:
    """How long each kind of personal record is kept, whom to contact about one's data and about
    accessibility, and where the source of this version is."""
    return About(
        retention=retention_of(enabled(settings), settings),
        privacy_contact=Contact(email=settings.privacy_contact_email),
        accessibility_coordinator=Contact(
            name=settings.accessibility_coordinator_name,
            phone=settings.accessibility_coordinator_phone,
            email=settings.accessibility_coordinator_email,
        ),
        source=settings.source_url or "/source",
    )


def source_paths(root: Path) -> Iterator[Path]:
    """The files of the source under ``root``, in a stable order."""
    for name in SOURCE_FILES:
        if (root / name).is_file():
            yield root / name
    for folder in SOURCE_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            relative = path.relative_to(root)
            if (
                path.is_file()
                and not LEFT_OUT_FOLDERS & set(relative.parts)
                and path.suffix not in LEFT_OUT_SUFFIXES
                and path.name not in LEFT_OUT_NAMES
            ):
                yield path


def tarball(root: Path, paths: Iterable[Path], prefix: str) -> bytes:
    """A gzipped tarball of these files, each under ``prefix/`` by its path below ``root``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as archive:
        for path in paths:
            info = archive.gettarinfo(str(path), f"{prefix}/{path.relative_to(root).as_posix()}")
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with path.open("rb") as content:
                archive.addfile(info, content)
    return buffer.getvalue()


def running_version() -> str:
    try:
        return version("toshav")
    except PackageNotFoundError:
        return "0"


@lru_cache(maxsize=1)
def running_source() -> tuple[str, bytes]:
    """The file name and bytes of this process's source, made once: the files do not change
    under a running process."""
    name = f"toshav-{running_version()}"
    return f"{name}.tar.gz", tarball(ROOT, source_paths(ROOT), name)


source_router = APIRouter(include_in_schema=False)


@source_router.get("/source")
def source(request: Request, settings: AppSettings) -> Response:
    """The source of the running version: where the deployment publishes it, or its files."""
    if settings.source_url:
        return RedirectResponse(settings.source_url, status_code=302)
    name, content = running_source()
    digest = hashlib.sha256(content).hexdigest()
    return Response(
        content,
        media_type="application/gzip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "ETag": f'"{digest[:32]}"',
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        },
    )

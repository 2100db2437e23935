"""The pages' files: the shell's and every enabled domain's static folder, layered under one path,
and their texts merged into one dictionary per language.

A file belongs to one layer: two layers with the same file are refused, so no domain can shadow
another's script. The dictionaries (``i18n/<language>.json`` in each layer) are the exception: each
layer has its own, and the pages load them merged, a key defined by one layer only.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from kernel.i18n import LANGUAGES, Language
from kernel.manifest import Manifest
from kernel.pages import STATIC_URL

SHELL_STATIC = Path(__file__).resolve().parent / "static"
DICTIONARIES = "i18n"

# The worker that reads QR codes from camera frames (js/qr-reader.js) runs ZXing's WebAssembly:
# its script, and it alone, may compile WebAssembly ('wasm-unsafe-eval', which allows no eval()).
QR_READER = "js/qr-reader.js"
WASM_ALLOWED = "'wasm-unsafe-eval'"
# Where a system's MIME table lacks it: browsers compile WebAssembly as it streams in only when
# it comes as application/wasm.
mimetypes.add_type("application/wasm", ".wasm")

# A page's service worker is js/<page>-worker.js and may control that page's path, and only it
# (the scanner's keeps /inspect working with no network); no other script may control a page.
_WORKER = re.compile(r"js/(?P<page>[a-z][a-z0-9-]*)-worker\.js")


def static_layers(manifests: Iterable[Manifest]) -> dict[str, tuple[Path, ...]]:
    """The folders served under each URL path: the shell's first, then each domain's in order.
    Refuses a file that two layers of one path both have."""
    layers: dict[str, list[Path]] = {STATIC_URL: [SHELL_STATIC]}
    for manifest in manifests:
        for prefix, folder in manifest.static:
            layers.setdefault(prefix, []).append(folder)
    for prefix, folders in layers.items():
        doubled = shadowed_files(folders)
        if doubled:
            raise ValueError(f"more than one static folder under {prefix} has {', '.join(doubled)}")
    return {prefix: tuple(folders) for prefix, folders in layers.items()}


def shadowed_files(folders: Sequence[Path]) -> list[str]:
    """The files (other than the dictionaries) that more than one of these folders has."""
    seen: set[str] = set()
    doubled: list[str] = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if not path.is_file() or path.parent == folder / DICTIONARIES:
                continue
            if name in seen:
                doubled.append(name)
            seen.add(name)
    return doubled


def merged_dictionary(folders: Iterable[Path], language: Language) -> dict[str, str]:
    """Every text the layers' pages use, in one language; a key two layers define is refused."""
    merged: dict[str, str] = {}
    for folder in folders:
        path = folder / DICTIONARIES / f"{language}.json"
        if not path.is_file():
            continue
        texts: dict[str, Any] = json.loads(path.read_text("utf-8"))
        for key, text in texts.items():
            if key in merged:
                raise ValueError(f"the text {key!r} is defined twice ({path})")
            merged[str(key)] = str(text)
    return merged


def dictionary_path(language: Language) -> str:
    return f"{STATIC_URL}/{DICTIONARIES}/{language}.json"


class Dictionaries:
    """The merged dictionaries as the pages fetch them, each with its ETag, so a browser (or the
    scanner's service worker) revalidates it as it does the files."""

    def __init__(self, texts: Mapping[Language, Mapping[str, str]], headers: Mapping[str, str]):
        self.texts = texts
        self._headers = headers
        self._bodies = {
            language: json.dumps(dict(texts[language]), ensure_ascii=False).encode("utf-8")
            for language in LANGUAGES
        }
        self._tags = {
            language: '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            for language, body in self._bodies.items()
        }

    def response(self, language: Language, if_none_match: str | None) -> Response:
        tag = self._tags[language]
        headers = {**self._headers, "Cache-Control": "no-cache", "ETag": tag}
        if if_none_match is not None and tag in (part.strip() for part in if_none_match.split(",")):
            return Response(status_code=304, headers=headers)
        return Response(self._bodies[language], media_type="application/json", headers=headers)


class HardenedStaticFiles(StaticFiles):
    """The pages' scripts, styles and pictures from layered folders, with the pages' headers."""

    def __init__(self, folders: Sequence[Path], headers: Mapping[str, str]) -> None:
        super().__init__(directory=folders[0])
        self.all_directories = list(folders)
        self._headers = headers

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        worker = _WORKER.fullmatch(path)
        if worker is not None:
            response.headers["Service-Worker-Allowed"] = f"/{worker['page']}"
        if path == QR_READER and "content-security-policy" in response.headers:
            policy = response.headers["content-security-policy"]
            response.headers["Content-Security-Policy"] = policy.replace(
                "script-src 'self'", f"script-src 'self' {WASM_ALLOWED}"
            )
        return response

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.update(self._headers)
        # No build step means no fingerprinted names: let the browser revalidate (ETag) every time.
        response.headers["Cache-Control"] = "no-cache"
        return response

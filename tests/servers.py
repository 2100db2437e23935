"""Real server processes for the tests that need more than one (``uvicorn toshav.main:app``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.conftest import _free_port


def wait_until_ready(url: str, process: subprocess.Popen[bytes], deadline: float) -> None:
    """Until the server at ``url`` answers /readyz; it must not stop, nor take past ``deadline``."""
    while True:
        assert process.poll() is None, f"the server for {url} stopped"
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} did not start"
        time.sleep(0.1)


@contextmanager
def server_processes(environment: dict[str, str], count: int = 2) -> Iterator[list[str]]:
    """``count`` server processes over the same database, each on a port of its own, ready; their
    addresses. Bytecode is written, as an installed service's is, so each import is paid once."""
    env = {**os.environ, **environment, "TOSHAV_LOG_LEVEL": "warning"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        for _ in range(count):
            port = _free_port()
            process = subprocess.Popen(  # noqa: S603 - our own server, on loopback
                [sys.executable, "-m", "uvicorn", "toshav.main:app", "--port", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
            )
            started.append((f"http://127.0.0.1:{port}", process))
        deadline = time.monotonic() + 180
        for url, process in started:
            wait_until_ready(url, process, deadline)
        yield [url for url, _ in started]
    finally:
        for _, process in started:
            process.terminate()
        for _, process in started:
            process.wait(30)

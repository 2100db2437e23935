"""Serving the app with uvicorn, in one process or in several (``toshav serve --workers N``).

Several workers: uvicorn starts each as a fresh interpreter (spawn), which first imports the
module its parent runs as ``__main__``, and kills a worker that has not answered its health check
within the health check's timeout (5 seconds unless told). The ``toshav`` command's ``__main__``
imports the whole command line, every domain with it, and that took longer. So ``toshav serve``
hands several workers to this module, run as ``python -m`` in its place: a worker then imports only
this module (the standard library) before it answers, and the app (``toshav.main:app``) after,
while it answers. Answering takes the interpreter's lock, which a long step of the app's import
(compiling a module, building a model's validator) holds, and a machine busy with other work slows
every step: so a worker has ``HEALTH_CHECK_SECONDS`` to answer, as a worker that has stopped
answering has before it is replaced.

With several workers each counts its metrics in ``PROMETHEUS_MULTIPROC_DIR``: a folder made empty
for this run (the operator's, when set; else a temporary one, removed at the end). It is emptied
here, before any process of this run has counted in it: so an operator's folder is served from
here with one worker too.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

APP = "toshav.main:app"
HEALTH_CHECK_SECONDS = 30
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def run(host: str, port: int, workers: int, forwarded_allow_ips: str, log_level: str) -> None:
    """Serve until stopped: in this process with one worker, else from a supervisor that starts
    ``workers`` processes (which must have started as ``python -m toshav.serving``; see the module)."""
    import uvicorn

    from kernel import logs

    logs.configure(log_level)
    with _metrics_folder(workers):
        uvicorn.run(
            APP,
            host=host,
            port=port,
            workers=workers,
            proxy_headers=True,
            forwarded_allow_ips=forwarded_allow_ips,
            timeout_worker_healthcheck=HEALTH_CHECK_SECONDS,
            log_level=log_level,
            log_config=None,  # the app's process logs JSON lines (kernel.logs), uvicorn's included
        )


def exec_workers(
    host: str, port: int, workers: int, forwarded_allow_ips: str, log_level: str
) -> None:
    """Replace this process with ``python -m toshav.serving`` serving ``workers`` workers."""
    arguments = ["--host", host, "--port", str(port), "--workers", str(workers)]
    arguments += ["--forwarded-allow-ips", forwarded_allow_ips, "--log-level", log_level]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", __spec__.name, *arguments])  # noqa: S606


@contextmanager
def _metrics_folder(workers: int) -> Iterator[None]:
    given = os.environ.get(MULTIPROCESS_DIR)
    if given:  # the operator's: an earlier run's counts are not this run's
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        yield
        return
    if workers <= 1:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="toshav-metrics-") as folder:
        os.environ[MULTIPROCESS_DIR] = folder
        try:
            yield
        finally:
            del os.environ[MULTIPROCESS_DIR]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m toshav.serving", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--forwarded-allow-ips", default="127.0.0.1")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    run(args.host, args.port, args.workers, args.forwarded_allow_ips, args.log_level)


if __name__ == "__main__":
    main()

"""``toshav serve --workers N``: every worker starts and serves, on a busy machine too.

uvicorn kills a worker that does not answer its health check within 5 seconds of starting. Three
servers of two workers each start at once on PostgreSQL (nine interpreters importing at once on
the test machine's two cores); each must come up with both its workers, each worker must answer
requests, and no worker may have been killed and replaced on the way. An operator's metrics
folder is emptied of an earlier run's counts before anything of this run counts there.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ACCESS_KEY, FreshDatabase, _free_port
from tests.servers import wait_until_ready

TOSHAV = str(Path(sys.executable).parent / "toshav")
SERVED = re.compile(r'^toshav_process_requests_served\{pid="(\d+)"\} (\S+)$', re.MULTILINE)


def _served(base: str) -> dict[str, float]:
    """Each worker's requests answered, by pid, as /metrics tells (summed over every worker)."""
    answer = httpx.get(f"{base}/metrics", timeout=30)
    assert answer.status_code == 200, answer.text
    return {pid: float(value) for pid, value in SERVED.findall(answer.text)}


def _until_both_serve(base: str, deadline: float) -> dict[str, float]:
    """Requests on fresh connections, a few at once, until both workers have answered some."""
    while True:
        threads = [
            threading.Thread(target=lambda: httpx.get(f"{base}/healthz", timeout=30))
            for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        served = _served(base)
        if len(served) >= 2 and all(count > 0 for count in served.values()):
            return served
        assert time.monotonic() < deadline, f"not every worker of {base} served: {served}"


@pytest.mark.postgres_only
def test_toshav_serve_starts_every_worker_every_time(
    fresh_database: FreshDatabase, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "TOSHAV_DATABASE_URL": fresh_database.url,
        "TOSHAV_VAR_DIR": str(tmp_path),
        "TOSHAV_ACCESS_TOKEN_KEY": ACCESS_KEY,
        "TOSHAV_ID_HASH_KEY": fresh_database.settings.id_hash_key.get_secret_value(),
        "TOSHAV_LOG_LEVEL": "info",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled once, as an installed service is
    # The last start is given a metrics folder of the operator's, holding an earlier run's counts.
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_999999.db").write_bytes(b"an earlier run's counts")
    starts: list[tuple[str, subprocess.Popen[bytes], Path]] = []
    for start in range(3):
        port = _free_port()
        log = tmp_path / f"serve-{start}.log"
        with log.open("wb") as out:
            server = subprocess.Popen(  # noqa: S603 - our own command, on loopback
                [TOSHAV, "serve", "--workers", "2", "--port", str(port)],
                env={**env, "PROMETHEUS_MULTIPROC_DIR": str(folder)} if start == 2 else env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        starts.append((f"http://127.0.0.1:{port}", server, log))
    try:
        deadline = time.monotonic() + 300
        for base, server, _ in starts:
            wait_until_ready(base, server, deadline)
        served = [_until_both_serve(base, deadline) for base, _, _ in starts]
    finally:
        for _, server, _ in starts:
            server.terminate()
        codes = [server.wait(60) for _, server, _ in starts]

    assert codes == [0, 0, 0]
    for (_, _, log), workers in zip(starts, served, strict=True):
        lines = log.read_text()
        started = set(re.findall(r"Started server process \[(\d+)\]", lines))
        # Exactly the two workers it started, both serving; none killed and started again.
        assert len(workers) == 2, workers
        assert set(workers) == started, (workers, started)
        assert "died" not in lines
        assert "Waiting for child process" in lines  # stopped by the supervisor, cleanly
    assert not (folder / "counter_999999.db").exists()

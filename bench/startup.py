"""The first request after the service starts, beside the same request once everything is warm.

    .venv/bin/python bench/startup.py [--rounds 5]

Each round starts a fresh process on a freshly migrated SQLite database, runs the app's start-up
(its lifespan, as uvicorn does) and sends one request to each domain's router, then the same
requests again. The figure is how many times slower the first is than the second, best of the
rounds; 1× means the first caller after a deploy or a restart waits no longer than anyone else.
The same is shown with the start-up's preparation (``toshav.app.prepare``) left out, for
what it saves.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# One route of each router; most refuse without a token, which still walks routing and the
# route's dependencies as a signed-in call does.
PATHS = (
    "/api/v1/parking/zones",
    "/api/v1/cashback/merchants/me",
    "/api/v1/benefits/me",
    "/api/v1/ledger/me/accounts",
    "/api/v1/residents/me",
    "/api/v1/me",
    "/.well-known/jwks.json",
)


def once(cold: bool) -> None:
    """In a fresh process: start the app, time each path's first request, then each again."""
    from fastapi.testclient import TestClient

    import toshav.app as factory

    if cold:

        async def nothing(app: object) -> None:
            return None

        factory.prepare = nothing
    app = factory.create_app()
    timings: dict[str, list[float]] = {}
    with TestClient(app) as client:
        for attempt in range(2):
            for path in PATHS:
                started = time.perf_counter()
                response = client.get(path)
                elapsed = time.perf_counter() - started
                assert response.status_code < 500, (path, response.text)
                timings.setdefault(path, []).append(elapsed)
            del attempt
    print(json.dumps(timings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--once", choices=("prepared", "cold"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.once:
        once(args.once == "cold")
        return

    from toshav.schema import upgrade

    with tempfile.TemporaryDirectory(prefix="toshav-bench-") as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        env = {**os.environ, "TOSHAV_DATABASE_URL": url, "TOSHAV_VAR_DIR": folder}
        best: dict[str, dict[str, list[float]]] = {"prepared": {}, "cold": {}}
        for _ in range(args.rounds):
            for kind in ("prepared", "cold"):  # alternating, so both see the same noise
                out = subprocess.run(
                    [sys.executable, __file__, "--once", kind],
                    env=env,
                    cwd=str(ROOT),
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                for path, (first, again) in json.loads(out.splitlines()[-1]).items():
                    kept = best[kind].setdefault(path, [first, again])
                    kept[0], kept[1] = min(kept[0], first), min(kept[1], again)

    print(f"first request after start ÷ the same request warm (best of {args.rounds} starts)")
    print(f"{'path':34} {'first':>9} {'warm':>8} {'ratio':>7}   {'unprepared':>10} {'ratio':>7}")
    for path in PATHS:
        first, warm = best["prepared"][path]
        cold_first, cold_warm = best["cold"][path]
        print(
            f"{path:34} {first * 1000:7.1f}ms {warm * 1000:6.1f}ms {first / warm:6.1f}×"
            f"   {cold_first * 1000:8.1f}ms {cold_first / cold_warm:6.1f}×"
        )
    total = sum(best["prepared"][path][0] for path in PATHS)
    cold_total = sum(best["cold"][path][0] for path in PATHS)
    warm_total = sum(best["prepared"][path][1] for path in PATHS)
    print(
        f"{'all of them':34} {total * 1000:7.1f}ms {warm_total * 1000:6.1f}ms "
        f"{total / warm_total:6.1f}×   {cold_total * 1000:8.1f}ms {cold_total / warm_total:6.1f}×"
    )


if __name__ == "__main__":
    main()

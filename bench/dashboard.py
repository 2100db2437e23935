"""Benchmark: each statistics endpoint (``/api/v1/stats/…``) over HTTP, beside its own SQL run
directly, measured in the same run, on the database the service is configured with (the one
``toshav demo load --scale 50000`` filled, say).

The app is built from the environment's settings (``TOSHAV_DATABASE_URL`` and the rest) and called
in this process through its ASGI interface, as the demo's ``auditor`` (a token minted for that
login, so nothing is written). Each endpoint is asked ``--rounds`` times after one warm-up; the
statements it sent (caught at the driver, less the sign-in's) are then run again directly on a raw
connection, as many rounds, and each side keeps its median. ``--explain`` prints each statement's
plan (PostgreSQL: ``EXPLAIN ANALYZE``; SQLite: ``EXPLAIN QUERY PLAN``).

    TOSHAV_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/toshav python bench/dashboard.py \
        [--from 2025-12-01 --to 2026-11-30] [--rounds 5] [--explain]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select

from kernel.database import make_engine
from resident_card.accounts.models import User
from resident_card.accounts.tokens import issue_access_token, load_access_token_keys
from toshav import plug_ins
from toshav.app import create_app
from toshav.domains import enabled
from toshav.settings import get_settings

ROUTES = ("uptake", "campaigns", "purchases", "businesses", "flags", "inspections", "permits")
# The sign-in's own reads, not the figure's.
NOT_THE_FIGURE = ("FROM users", "FROM user_roles", "FROM jobs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="first", help="the first city day (default: 11 months back)")
    parser.add_argument("--to", dest="last", help="the last city day (default: today)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--each", action="store_true", help="time each statement once more")
    parser.add_argument("--routes", default=",".join(ROUTES))
    options = parser.parse_args()
    settings = get_settings()
    plug_ins.install(enabled(settings))
    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        auditor = connection.execute(select(User.id).where(User.username == "auditor")).scalar()
    if auditor is None:
        sys.exit("no `auditor` login: load the demo first (toshav demo load)")
    app = create_app(settings)
    caught: list[tuple[str, Any]] = []
    listening = [False]

    def catch(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        reads = statement.lstrip().upper().startswith(("SELECT", "WITH"))
        if listening[0] and reads and not any(part in statement for part in NOT_THE_FIGURE):
            caught.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", catch)
    query = {k: v for k, v in (("from", options.first), ("to", options.last)) if v}
    postgres = settings.database_url.startswith("postgres")
    print(f"{'route':12s} {'HTTP median':>12s} {'its SQL median':>15s}  statements")
    with TestClient(app) as client:
        token = issue_access_token(
            load_access_token_keys(settings), settings, user_id=auditor, now=datetime.now(UTC)
        )
        headers = {"Authorization": f"Bearer {token}"}
        for route in options.routes.split(","):
            over_http = []
            for round_ in range(options.rounds + 1):
                listening[0], caught[:] = round_ == options.rounds, []
                started = time.perf_counter()
                response = client.get(f"/api/v1/stats/{route}", params=query, headers=headers)
                if round_:
                    over_http.append(time.perf_counter() - started)
                response.raise_for_status()
            listening[0] = False
            direct = _run_directly(
                engine, caught, options.rounds, options.explain, postgres, options.each
            )
            print(
                f"{route:12s} {statistics.median(over_http) * 1000:9.1f} ms"
                f" {statistics.median(direct) * 1000:12.1f} ms  {len(caught)}"
            )
    engine.dispose()


def _run_directly(
    engine: Engine,
    statements: list[tuple[str, Any]],
    rounds: int,
    explain: bool,
    postgres: bool,
    each: bool,
) -> list[float]:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                cursor.fetchall()
            times.append(time.perf_counter() - started)
        if each:
            for statement, parameters in statements:
                started = time.perf_counter()
                cursor.execute(statement, parameters)
                cursor.fetchall()
                first = " ".join(statement.split())[:90]
                print(f"    {(time.perf_counter() - started) * 1000:8.1f} ms  {first}")
        if explain:
            for statement, parameters in statements:
                prefix = "EXPLAIN ANALYZE " if postgres else "EXPLAIN QUERY PLAN "
                cursor.execute(prefix + statement, parameters)
                print("\n".join(str(row[0] if postgres else row[-1]) for row in cursor.fetchall()))
        raw.rollback()
        return times
    finally:
        raw.close()


if __name__ == "__main__":
    main()

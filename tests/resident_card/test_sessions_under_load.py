"""Many requests at once, each with the request's session: none waits for ever, none fails.

On SQLite every transaction takes the write lock as it begins. When every thread that runs sync
endpoints waited on that lock while the lock's holder waited for a thread to commit in, the service
stalled for the 30 s busy timeout and then answered 500. Fewer requests now hold a session at once
than there are threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.conftest import LiveServer

CLIENTS = 64
ROUNDS = 4


def test_sixty_four_clients_at_once_are_all_answered_promptly(live_server: LiveServer) -> None:
    def client_loop(_: int) -> list[int]:
        # Threads, not an event loop here: a browser test may have left one running in this thread.
        with httpx.Client(base_url=live_server.base_url, timeout=20) as client:
            return [client.get("/api/v1/parking/zones").status_code for _ in range(ROUNDS)]

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        answers = list(pool.map(client_loop, range(CLIENTS)))

    assert [status for statuses in answers for status in statuses] == [200] * CLIENTS * ROUNDS

"""Many requests at once, each with the request's session: none waits for ever, none fails.

On SQLite every transaction takes the write lock as it begins. When every thread that runs sync
endpoints waited on that lock while the lock's holder waited for a thread to commit in, the service
stalled for the 30 s busy timeout and then answered 500. Fewer requests now hold a session at once
than there are threads."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import LiveServer

CLIENTS = 64
ROUNDS = 4


def test_sixty_four_clients_at_once_are_all_answered_promptly(live_server: LiveServer) -> None:
    async def client_loop(client: httpx.AsyncClient) -> list[int]:
        return [(await client.get("/api/v1/parking/zones")).status_code for _ in range(ROUNDS)]

    async def load() -> list[int]:
        limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
        async with httpx.AsyncClient(
            base_url=live_server.base_url, limits=limits, timeout=20
        ) as client:
            answers = await asyncio.gather(*(client_loop(client) for _ in range(CLIENTS)))
        return [status for statuses in answers for status in statuses]

    statuses = asyncio.run(load())

    assert statuses == [200] * CLIENTS * ROUNDS

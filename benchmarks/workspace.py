"""Benchmark: the workspace's two speeds on one machine.

1. Spawn: time from a researcher's spawn request (hub REST API) to a ready JupyterLab
   server, isolated in its own mount namespace with one read-only release; repeated.
2. Service: p50/p95 latency of the governance service's API (``/api/releases``, a policy
   decision per release) through the proxy, with 50 concurrent clients each using the
   researcher's own hub token, as notebooks do.

Runs a real hub, proxy and service on a temporary data root (SQLite) and prints one
result line.

    .venv/bin/python benchmarks/workspace.py [--spawns 3] [--clients 50] [--requests 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nightingale.hub.launcher import HubProcess, free_port
from nightingale.platform.settings import Settings
from tests.workspace_world import PASSWORD, build_world


def _login(hub: HubProcess, username: str) -> httpx.Client:
    client = httpx.Client(base_url=hub.url, follow_redirects=True, timeout=120)
    client.get("/hub/login")
    client.post(
        "/hub/login",
        data={"username": username, "password": PASSWORD, "_xsrf": client.cookies["_xsrf"]},
    )
    client.headers.update({"X-XSRFToken": client.cookies["_xsrf"], "Referer": f"{hub.url}/hub/"})
    return client


def _spawn_seconds(client: httpx.Client, user: str) -> float:
    started = time.perf_counter()
    reply = client.post(f"/hub/api/users/{user}/server")
    reply.raise_for_status()
    while True:
        model = client.get(f"/hub/api/users/{user}").json()
        server = model["servers"].get("")
        if server and server["ready"]:
            return time.perf_counter() - started
        time.sleep(0.1)


def _stop(client: httpx.Client, user: str) -> None:
    client.delete(f"/hub/api/users/{user}/server")
    while client.get(f"/hub/api/users/{user}").json()["servers"]:
        time.sleep(0.2)


async def _latencies(url: str, token: str, clients: int, requests: int) -> list[float]:
    headers = {"Authorization": f"token {token}"}
    timings: list[float] = []
    async with httpx.AsyncClient(headers=headers, timeout=60) as http:

        async def one_client() -> None:
            for _ in range(requests):
                started = time.perf_counter()
                reply = await http.get(url)
                reply.raise_for_status()
                timings.append(time.perf_counter() - started)

        await http.get(url)  # warm the hub's token cache once
        await asyncio.gather(*(one_client() for _ in range(clients)))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spawns", type=int, default=3)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nightingale-bench-") as folder:
        world = build_world(Settings(data_root=Path(folder) / "var"))
        world.released()
        with HubProcess(world.settings.data_root, port=free_port()) as hub:
            client = _login(hub, "rita")
            spawns = []
            for _ in range(args.spawns):
                spawns.append(_spawn_seconds(client, "rita"))
                _stop(client, "rita")
            token = client.post("/hub/api/users/rita/tokens", json={"note": "bench"}).json()
            timings = asyncio.run(
                _latencies(
                    f"{hub.service_url}api/releases", token["token"], args.clients, args.requests
                )
            )
    quantiles = statistics.quantiles(timings, n=100)
    print(
        f"workspace: spawn-to-ready median {statistics.median(spawns):.2f} s "
        f"(min {min(spawns):.2f}, max {max(spawns):.2f}, n={len(spawns)}); "
        f"service /api/releases with {args.clients} concurrent clients: "
        f"p50 {quantiles[49] * 1000:.0f} ms, p95 {quantiles[94] * 1000:.0f} ms "
        f"({len(timings)} requests)"
    )


if __name__ == "__main__":
    main()

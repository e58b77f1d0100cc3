"""Benchmark: the workspace's two speeds on one machine.

1. Spawn: time from a researcher's spawn request (hub REST API) to a ready JupyterLab
   server, isolated in its own mount namespace with one read-only release; repeated.
2. Service: p50/p95 latency and errors of the governance service's API
   (``/api/releases``, a policy decision per release) through the proxy, at each level of
   concurrent clients (``--clients 50,200``), each client using the researcher's own hub
   token, as notebooks do. An error is any answer other than 200, or no answer.

Runs a real hub, proxy and service on a temporary data root (SQLite) and prints one
result line, with the machine's load average when the run started (the figures are only
comparable at a similar load).

    .venv/bin/python benchmarks/workspace.py [--spawns 3] [--clients 50,200] [--requests 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
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


@dataclass
class Level:
    """What ``clients`` concurrent clients saw: each answer's latency, and the errors."""

    clients: int
    timings: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    """Failed requests by kind: the HTTP status, or the exception's name."""

    def errors_text(self) -> str:
        total = sum(self.errors.values())
        kinds = ", ".join(f"{kind} x{n}" for kind, n in sorted(self.errors.items()))
        return f"{total} errors" + (f" ({kinds})" if kinds else "")

    def line(self) -> str:
        if len(self.timings) < 2:
            return f"{self.clients} clients: {self.errors_text()}, too few answers to time"
        quantiles = statistics.quantiles(self.timings, n=100)
        return (
            f"{self.clients} clients: p50 {quantiles[49] * 1000:.0f} ms, "
            f"p95 {quantiles[94] * 1000:.0f} ms, {self.errors_text()} "
            f"of {len(self.timings) + sum(self.errors.values())} requests"
        )


async def _level(url: str, token: str, clients: int, requests: int) -> Level:
    headers = {"Authorization": f"token {token}"}
    level = Level(clients)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(headers=headers, timeout=60, limits=limits) as http:

        async def one_client() -> None:
            for _ in range(requests):
                started = time.perf_counter()
                try:
                    reply = await http.get(url)
                except httpx.HTTPError as exc:
                    level.errors[type(exc).__name__] += 1
                    continue
                if reply.status_code == 200:
                    level.timings.append(time.perf_counter() - started)
                else:
                    level.errors[str(reply.status_code)] += 1

        (await http.get(url)).raise_for_status()  # warm the hub's token cache once
        await asyncio.gather(*(one_client() for _ in range(clients)))
    return level


def _levels(text: str) -> list[int]:
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--clients takes numbers like 50,200: {exc}") from exc
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("--clients takes positive numbers like 50,200")
    return levels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spawns", type=int, default=3)
    parser.add_argument("--clients", type=_levels, default=[50, 200])
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    load = os.getloadavg()[0]
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
            url = f"{hub.service_url}api/releases"
            levels = [
                asyncio.run(_level(url, token["token"], clients, args.requests))
                for clients in args.clients
            ]
    spawned = (
        f"spawn-to-ready median {statistics.median(spawns):.2f} s "
        f"(min {min(spawns):.2f}, max {max(spawns):.2f}, n={len(spawns)})"
        if spawns
        else "spawn not measured"
    )
    print(
        f"workspace: {spawned}; service /api/releases, {args.requests} requests per client, "
        + "; ".join(level.line() for level in levels)
        + f" (load average {load:.2f} at start)"
    )


if __name__ == "__main__":
    main()

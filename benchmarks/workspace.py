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

The clients are raw keep-alive HTTP/1.1 connections (one per client), so the figures are
the service's and not the client's. The CPU time per request of the service, the proxy
and the client is printed too, which a loaded machine changes much less than latency.
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
from urllib.parse import urlsplit

import httpx
import psutil

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
    cpu: dict[str, float] = field(default_factory=dict)
    """CPU seconds each process (service, proxy, this client) spent on this level: robust
    to the machine's load, where latency is not."""

    def cpu_text(self) -> str:
        answered = len(self.timings) + sum(self.errors.values())
        if answered == 0 or not self.cpu:
            return "CPU not measured"
        each = ", ".join(
            f"{name} {seconds / answered * 1000:.2f}" for name, seconds in self.cpu.items()
        )
        return f"CPU ms per request: {each}"

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
            f"p95 {quantiles[94] * 1000:.0f} ms, p99 {quantiles[98] * 1000:.0f} ms, "
            f"{self.errors_text()} of {len(self.timings) + sum(self.errors.values())} requests, "
            f"{self.cpu_text()}"
        )


class _Connection:
    """One keep-alive HTTP/1.1 connection: a client as cheap as the answer it waits for.

    httpx costs some 9 ms of CPU per request, which on a 2-core machine made the benchmark
    measure its own clients; this one writes a fixed request and reads the status line,
    the headers and ``Content-Length`` bytes of body, nothing more.
    """

    def __init__(self, url: str, token: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.request = (
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: token {token}\r\nAccept: application/json\r\n"
            "Connection: keep-alive\r\n\r\n"
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self) -> int:
        """Send the request once and return the answer's status (the body is read, dropped)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(self.request)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        status = int(status_line.split()[1])
        length, closing = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
            elif name.strip().lower() == "connection" and "close" in value.lower():
                closing = True
        await self.reader.readexactly(length)
        if closing:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _level(url: str, token: str, clients: int, requests: int) -> Level:
    level = Level(clients)

    async def one_client() -> None:
        connection = _Connection(url, token)
        try:
            for _ in range(requests):
                started = time.perf_counter()
                try:
                    status = await asyncio.wait_for(connection.get(), 60)
                except (
                    TimeoutError,
                    OSError,
                    ValueError,
                    IndexError,
                    asyncio.IncompleteReadError,
                ) as exc:
                    level.errors[type(exc).__name__] += 1
                    connection.close()
                    continue
                if status == 200:
                    level.timings.append(time.perf_counter() - started)
                else:
                    level.errors[str(status)] += 1
        finally:
            connection.close()

    warm = _Connection(url, token)  # warm the hub's token cache once
    if (status := await warm.get()) != 200:
        raise SystemExit(f"the service answered {status} to the benchmark's first request")
    warm.close()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    return level


def _processes(hub: HubProcess) -> dict[str, psutil.Process]:
    """The governance service and the proxy (children of the hub), and this client."""
    assert hub.process is not None
    found: dict[str, psutil.Process | None] = {"service": None, "proxy": None}
    for child in psutil.Process(hub.process.pid).children(recursive=True):
        try:
            command = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if "nightingale.web" in command:
            found["service"] = child
        elif "configurable-http-proxy" in command:
            found["proxy"] = child
    chosen = {name: process for name, process in found.items() if process is not None}
    return chosen | {"client": psutil.Process()}


def _cpu_seconds(processes: dict[str, psutil.Process]) -> dict[str, float]:
    seconds = {}
    for name, process in processes.items():
        times = process.cpu_times()
        seconds[name] = float(times.user + times.system)
    return seconds


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
            processes = _processes(hub)
            levels = []
            for clients in args.clients:
                before = _cpu_seconds(processes)
                level = asyncio.run(_level(url, token["token"], clients, args.requests))
                after = _cpu_seconds(processes)
                level.cpu = {name: after[name] - before[name] for name in processes}
                levels.append(level)
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

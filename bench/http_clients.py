"""Benchmark: the CPU one request costs through each HTTP client, against httpx's as the floor.

Why Syncline's delivery sends over aiohttp: most of a batched delivery's
time is per-request overhead. Each way below sends the same `--requests`
pre-built, gzipped webhook bodies of 100 records from `--concurrency`
coroutines over keep-alive connections to the counting receiver
(`harness/counting_receiver.py`, a process of its own), and reports this
process's CPU seconds per request and the ratio to `httpx.AsyncClient.post`
(the floor of `bench/http_delivery.py`), measured in the same run:

- `httpx`: `httpx.AsyncClient.post`;
- `httpx transport`: httpx's transport called directly (no client layer);
- `aiohttp`: `aiohttp.ClientSession.post`, as `connectors.delivery.transport`.

    .venv/bin/python bench/http_clients.py [--requests 3000] [--concurrency 8]

Prints a Markdown table on stdout. Nothing here is an assertion.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import httpx

RECEIVER = Path(__file__).resolve().parent / "harness" / "counting_receiver.py"
HEADERS = {
    "Content-Type": "application/json",
    "Content-Encoding": "gzip",
    "Idempotency-Key": "syncline-" + "0" * 40,
    "webhook-signature": "v1," + "a" * 44,
}


def body() -> bytes:
    """A webhook body of 100 records of the benchmark's CRM shape, gzipped."""
    records = [
        {
            "hash": f"{i:016x}",
            "fields": {
                "id": i,
                "email": f"user{i}@example.com",
                "name": f"User {i}",
                "plan": "pro",
                "mrr": 12.5,
                "updated_at": "2024-01-01T00:00:00Z",
            },
        }
        for i in range(100)
    ]
    document = {"event": "sync.records", "object": {"id": "s", "name": "n", "records": records}}
    return gzip.compress(json.dumps(document).encode(), compresslevel=1, mtime=0)


Way = Callable[[str, bytes, int, int], Awaitable[None]]


async def _drive(send: Callable[[], Awaitable[None]], requests: int, width: int) -> None:
    """`requests` calls of `send`, `width` at a time."""
    left = iter(range(requests))

    async def worker() -> None:
        for _ in left:
            await send()

    await asyncio.gather(*(worker() for _ in range(width)))


async def with_httpx(url: str, content: bytes, requests: int, width: int) -> None:
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=width)) as client:

        async def send() -> None:
            (await client.post(url, content=content, headers=HEADERS)).raise_for_status()

        await _drive(send, requests, width)


async def with_httpx_transport(url: str, content: bytes, requests: int, width: int) -> None:
    async with httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=width)) as transport:

        async def send() -> None:
            request = httpx.Request("POST", url, content=content, headers=HEADERS)
            response = await transport.handle_async_request(request)
            await response.aread()
            await response.aclose()

        await _drive(send, requests, width)


async def with_aiohttp(url: str, content: bytes, requests: int, width: int) -> None:
    connector = aiohttp.TCPConnector(limit=width)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def send() -> None:
            async with session.post(url, data=content, headers=HEADERS) as response:
                response.raise_for_status()
                await response.read()

        await _drive(send, requests, width)


WAYS: list[tuple[str, Way]] = [
    ("httpx", with_httpx),
    ("httpx transport", with_httpx_transport),
    ("aiohttp", with_aiohttp),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    content = body()
    with tempfile.TemporaryDirectory() as folder:
        port_file = Path(folder) / "port"
        receiver = subprocess.Popen(  # noqa: S603 - our own receiver script
            [sys.executable, str(RECEIVER), "--port-file", str(port_file)]
        )
        try:
            while not (port_file.exists() and port_file.read_text().strip()):
                time.sleep(0.05)
            url = f"http://127.0.0.1:{port_file.read_text().strip()}/hook"
            rows = []
            for name, way in WAYS:
                cpu, wall = time.process_time(), time.perf_counter()
                asyncio.run(way(url, content, args.requests, args.concurrency))
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                rows.append((name, cpu / args.requests * 1e6, wall))
        finally:
            receiver.terminate()
            receiver.wait()
    floor = rows[0][1]
    print(f"{args.requests:,} requests of {len(content):,} bytes, concurrency {args.concurrency}\n")
    print("| client | CPU µs per request | wall s | ratio to httpx |")
    print("|---|---:|---:|---:|")
    for name, micros, wall in rows:
        print(f"| {name} | {micros:.0f} | {wall:.2f} | {micros / floor:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

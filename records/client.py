"""The records load client: inserts and deletes against a records server, forever or for a while.

Two loops run concurrently (each `concurrency` times): one inserts random 16-character records,
10..100 per POST /new as a list (`style="batch"`), or one object per request as the seed author's
own client does (`style="single"`); the other asks GET /10 and deletes each record it got,
backing off while there is none. Every report
interval one line goes to stdout: `deleted <n> in the last <s>s (total <t>)`. Connection
problems are retried with backoff and reported on stderr; a 404 on delete (someone else got
there first) is normal. Ctrl-C or --duration end it with one summary line.
"""

from __future__ import annotations

import asyncio
import random
import string
import sys
from dataclasses import dataclass

import httpx

ALPHABET = string.ascii_letters + string.digits
STYLES = ("batch", "single")
MAX_BACKOFF = 5.0


@dataclass
class Counters:
    inserted: int = 0
    deleted: int = 0
    errors: int = 0


class RecordsClient:
    def __init__(self, url: str, *, concurrency: int = 1, report_every: float = 10.0, style: str = "batch") -> None:
        if style not in STYLES:
            raise ValueError(f"style must be one of {', '.join(STYLES)}")
        self.style = style
        self.url = url.rstrip("/")
        self.concurrency = concurrency
        self.report_every = report_every
        self.counters = Counters()
        self._rng = random.Random()

    async def run(self, duration: float | None) -> Counters:
        timeout = httpx.Timeout(10.0)
        async with httpx.AsyncClient(base_url=self.url, timeout=timeout) as http:
            loops = [self._inserter(http) for _ in range(self.concurrency)]
            loops += [self._deleter(http) for _ in range(self.concurrency)]
            loops.append(self._reporter())
            tasks = [asyncio.create_task(loop) for loop in loops]
            try:
                if duration is None:
                    await asyncio.gather(*tasks)
                else:
                    await asyncio.wait(tasks, timeout=duration)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        return self.counters

    async def _inserter(self, http: httpx.AsyncClient) -> None:
        while True:
            if self.style == "single":  # {"text": ...}: no list, no uuid
                body: object = {"text": self._text()}
                count = 1
            else:
                body = [{"text": self._text()} for _ in range(self._rng.randint(10, 100))]
                count = len(body)
            response = await self._call(http, "POST", "/new", json=body)
            if response is not None and response.status_code == 201:
                self.counters.inserted += count

    def _text(self) -> str:
        return "".join(self._rng.choices(ALPHABET, k=16))

    async def _deleter(self, http: httpx.AsyncClient) -> None:
        while True:
            response = await self._call(http, "GET", "/10")
            if response is None or response.status_code != 200:
                continue
            records = response.json()
            if not records:
                await asyncio.sleep(0.05)  # nothing to delete yet
            for record in records:
                deleted = await self._call(http, "DELETE", f"/{record['uuid']}")
                if deleted is not None and deleted.status_code == 200:
                    self.counters.deleted += 1
                # 404: another deleter got there first, which is normal

    async def _call(self, http: httpx.AsyncClient, method: str, path: str, **kwargs: object) -> httpx.Response | None:
        """One request; on a connection problem, back off (up to MAX_BACKOFF) and say so on stderr."""
        delay = 0.1
        while True:
            try:
                response = await http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                self.counters.errors += 1
                print(f"{method} {path}: {type(exc).__name__}: {exc}; retrying in {delay:.1f}s", file=sys.stderr)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF)
                continue
            if response.status_code >= 500 or response.status_code == 429:
                self.counters.errors += 1
                print(f"{method} {path}: HTTP {response.status_code}; retrying in {delay:.1f}s", file=sys.stderr)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF)
                return None
            if response.status_code >= 400 and not (method == "DELETE" and response.status_code == 404):
                self.counters.errors += 1
            return response

    async def _reporter(self) -> None:
        last = self.counters.deleted
        while True:
            await asyncio.sleep(self.report_every)
            total = self.counters.deleted
            print(f"deleted {total - last} in the last {self.report_every:g}s (total {total})", flush=True)
            last = total


def summary(counters: Counters) -> str:
    return f"summary: inserted {counters.inserted}, deleted {counters.deleted}, errors {counters.errors}"

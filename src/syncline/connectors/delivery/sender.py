"""Sending requests: many in flight, each retried, inside the rate budget, cancellable.

`Sender.send` takes a list of requests and keeps as many in flight as the
connection's concurrency permits allow (`budget.RateBudget.lease`), starting
each attempt at a rate slot (`RateBudget.reserve`). A request is retried by
`policy` on a retryable status or when no answer came (refused, reset, timed
out); every attempt sends the same bytes and the same idempotency key.
Answers are handed to `done` as they come, in completion order, on the
caller's thread; what they staged is made durable by a job on the sender's
one worker thread, while other requests go on (`send`). Requests go over
the connection's `transport.Transport` on an event loop this sender owns,
driven from the calling thread, so nothing outlives a call to `send`.

A cancel (`CallLimits.cancelled`) is looked at every `POLL_SECONDS`: every
request in flight is dropped and `CallCanceled` raised. A request that runs
out of attempts or time stops the batch: the requests still in flight are
dropped (their answers are unknown, and a rerun sends them again with the
same keys) and `DeliveryFailed` is raised.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from syncline.connectors.delivery.budget import RENEW_SECONDS, RateBudget, Slots
from syncline.connectors.delivery.policy import Backoff, StatusRules, retry_after
from syncline.connectors.delivery.records import Event, Record
from syncline.connectors.delivery.transport import NoAnswer, Transport
from syncline.errors import CallCanceled, ConnectorError

POLL_SECONDS = 0.1
"""How often a sender looks for a cancel while it waits."""


class DeliveryFailed(ConnectorError):
    """A request got no acceptable answer within its attempts or time: the run stops."""


@dataclass
class Request:
    """One HTTP request and the records it carries (with one event, unless the type
    mixes them: `event` None)."""

    method: str
    url: str
    body: bytes
    records: list[Record]
    event: Event | None
    headers: dict[str, str] = field(default_factory=dict)
    key: str = ""
    """The idempotency key (set by the writer)."""
    preview: bytes | None = None
    """The body as a person reads it, when `body` is not (compressed)."""


@dataclass(frozen=True)
class Reply:
    """The final answer to a request: a success, or a status that is not retried."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    attempts: int
    seconds: float


Prepare = Callable[[Request], dict[str, str]]
"""Headers made afresh for each attempt (a signature over a new timestamp)."""
Settle = Callable[[], Callable[[], None] | None]
"""Takes what was staged for the answers so far; the job making it durable (None: none)."""


class Sender:
    """Sends requests for one writer (see the module docstring). Close it when done."""

    def __init__(
        self,
        *,
        transport: Callable[[], Transport],
        budget: RateBudget,
        rules: StatusRules,
        backoff: Backoff,
        max_attempts: int,
        max_seconds: float,
        cancelled: Callable[[], bool] | None = None,
        prepare: Prepare | None = None,
        describe: Callable[[str], str] = lambda message: message,
    ) -> None:
        self._make_transport = transport
        self._transport: Transport | None = None
        self.budget = budget
        self.rules = rules
        self.backoff = backoff
        self.max_attempts = max_attempts
        self.max_seconds = max_seconds
        self.cancelled = cancelled or (lambda: False)
        self.prepare = prepare
        self.describe = describe
        """Scrubs a message of secrets (the connector's `scrub`)."""
        self._loop = asyncio.new_event_loop()
        self._slots: list[float] = []
        self._interval = 0.0
        self._held = 0
        self._renewed = float("-inf")
        self._in_flight = 0
        self._jobs: concurrent.futures.ThreadPoolExecutor | None = None

    def send(
        self,
        requests: Iterable[Request],
        done: Callable[[Request, Reply], None],
        settle: Settle = lambda: None,
    ) -> None:
        """Send every request; `done(request, reply)` for each final answer, on this
        thread. After answers come, `settle()` (on this thread) takes what `done` staged
        and returns the job that makes it durable, run on the sender's worker thread
        while other requests go on. A request whose answer is not durable yet keeps its
        permit until it is, so answered-but-not-durable and in-flight requests together
        never exceed the permits held: what a crash can leave unknown stays bounded.

        Returns once every job has run. Raises `DeliveryFailed` (naming the request and
        its last error), `CallCanceled`, `ConnectorError` when the shared budget cannot
        be reached, or what a job raised.
        """
        self._loop.run_until_complete(self._send_all(requests, done, settle))

    def close(self) -> None:
        """Give the budget's permits back and close the connections."""
        try:
            if self._transport is not None:
                self._loop.run_until_complete(self._transport.close())
        finally:
            self._transport = None
            self._loop.close()
            if self._jobs is not None:
                self._jobs.shutdown(wait=True)
            with contextlib.suppress(ConnectorError):
                self.budget.release()

    # ------------------------------------------------------------- the loop

    async def _send_all(
        self,
        requests: Iterable[Request],
        done: Callable[[Request, Reply], None],
        settle: Settle,
    ) -> None:
        if self._transport is None:
            self._transport = self._make_transport()
        # Requests are taken one at a time as permits free up: a writer building them
        # lazily builds the next while the ones in flight wait for their answers.
        pending = iter(requests)
        upcoming = next(pending, None)
        running: dict[asyncio.Future[Reply], Request] = {}
        settling: asyncio.Future[None] | None = None
        unsettled = 0  # answered, durable once `settling` and the next job have run
        in_job = 0  # of those, the answers the running job makes durable
        try:
            while upcoming is not None or running or unsettled:
                self._check_cancelled()
                wanted = self.budget.cap if upcoming is not None else len(running)
                self._in_flight = len(running) + unsettled
                self._renew(wanted=wanted)
                while upcoming is not None and len(running) + unsettled < self._held:
                    running[asyncio.ensure_future(self._deliver(upcoming))] = upcoming
                    upcoming = next(pending, None)
                if settling is None and unsettled:
                    job = settle()
                    if job is None:
                        unsettled = 0
                        continue
                    settling, in_job = self._loop.run_in_executor(self._worker(), job), unsettled
                waited: set[asyncio.Future[Any]] = set(running)
                if settling is not None:
                    waited.add(settling)
                if not waited:
                    await asyncio.sleep(POLL_SECONDS)
                    continue
                finished, _ = await asyncio.wait(
                    waited, timeout=POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
                if settling is not None and settling in finished:
                    settling.result()
                    settling, unsettled = None, unsettled - in_job
                for task in finished:
                    request = running.pop(task, None)
                    if request is not None:
                        done(request, task.result())
                        unsettled += 1
            self._in_flight = 0
        finally:
            for task in running:
                task.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)
            if settling is not None:
                # A job cannot be stopped: let it end, so nothing else touches the
                # memory meanwhile (its error, if any, yields to the one raised here).
                await asyncio.gather(settling, return_exceptions=True)
            self._in_flight = 0

    def _worker(self) -> concurrent.futures.ThreadPoolExecutor:
        if self._jobs is None:
            self._jobs = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="syncline-settle"
            )
        return self._jobs

    def _check_cancelled(self) -> None:
        if self.cancelled():
            raise CallCanceled("the run was canceled while requests were in flight")

    def _renew(self, *, wanted: int) -> None:
        """Renew the concurrency lease every `RENEW_SECONDS`; sooner, but at most every
        `POLL_SECONDS`, while it holds too few permits to send anything."""
        now = time.monotonic()
        since = now - self._renewed
        starved = self._held < wanted and (self._held == 0 or self._in_flight == 0)
        if since < RENEW_SECONDS and not (starved and since >= POLL_SECONDS):
            return
        self._renewed = now
        self._held = self.budget.lease(wanted, self._in_flight)

    async def _slot(self) -> None:
        """Wait for this process's next rate slot, reserving more when out; a slot
        missed by more than half an interval is dropped, never used late."""
        while True:
            if not self._slots:
                slots: Slots = self.budget.reserve(max(1, self.budget.cap))
                self._slots = [slots.at(i) for i in range(slots.count)][::-1]
                self._interval = slots.interval
            start = self._slots.pop()
            if not self._interval or time.time() <= start + self._interval / 2:
                break
        await self._sleep(start - time.time())

    async def _sleep(self, seconds: float) -> None:
        """Sleep, looking for a cancel every `POLL_SECONDS` (the loop's own check
        runs between tasks; this one wakes a long backoff)."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self._check_cancelled()
            await asyncio.sleep(min(left, POLL_SECONDS))

    async def _deliver(self, request: Request) -> Reply:
        """Send `request` until it gets a final answer; raise `DeliveryFailed` when it cannot."""
        assert self._transport is not None
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            await self._slot()
            headers = dict(request.headers)
            if self.prepare is not None:
                headers.update(self.prepare(request))
            wait_hint: float | None = None
            try:
                answer = await self._transport.exchange(
                    request.method, request.url, request.body, headers
                )
            except NoAnswer as error:
                problem = error.words
            else:
                status = answer.status
                if not self.rules.is_retryable(status):
                    return Reply(
                        status, answer.headers, answer.body, attempt, time.monotonic() - started
                    )
                wait_hint = retry_after(answer.headers)
                if status == 429:
                    self.budget.throttled(wait_hint)
                shown = excerpt(self.describe(answer.text))
                problem = f"HTTP {status}" + (f": {shown}" if answer.body else "")
            elapsed = time.monotonic() - started
            wait = self.backoff.wait(attempt, wait_hint)
            if attempt >= self.max_attempts or elapsed + wait > self.max_seconds:
                raise DeliveryFailed(
                    self.describe(
                        f"{request.method} {shown_url(request.url)} failed {attempt} "
                        f"time{'s' if attempt > 1 else ''} over {elapsed:.1f} s; last: {problem}"
                    ),
                    metadata={"attempts": attempt},
                )
            await self._sleep(wait)


EXCERPT = 300
"""Characters of a response body shown in a message."""


def excerpt(body: bytes | str, limit: int = EXCERPT) -> str:
    """A response body in a message: decoded, on one line, at most `limit` characters.

    Scrub secrets from the text before taking its excerpt: cut first, a secret
    across the cut would keep its start.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown_url(url: str) -> str:
    """A URL as messages show it: without its query (which may carry a key)."""
    return url.split("?", 1)[0]

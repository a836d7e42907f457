"""The worker: relays the outbox and runs periodic jobs, in ``unico worker`` or inside ``unico serve``.

One tick (:meth:`Worker.run_once`) fans undispatched events out to their targets, delivers what
is due (in-process handlers and signed webhooks, with retries and dead letters), then runs each
periodic job. :meth:`Worker.run_forever` ticks every ``settings.worker_poll_seconds`` until
SIGTERM/SIGINT or :meth:`Worker.stop`. Any number of workers may run against one database.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from types import FrameType

from unico.connectors.webhooks import HttpWebhookSender
from unico.core.db import Database
from unico.core.outbox import DEFAULT_LEASE, Senders, Subscribers, WebhookSender, deliver_due, fan_out
from unico.customers import jobs as customer_jobs
from unico.fulfillment import jobs as fulfillment_jobs
from unico.inventory.reservations import release_expired_reservations
from unico.loyalty import jobs as loyalty_jobs
from unico.orders import jobs as order_jobs
from unico.pricing import jobs as pricing_jobs
from unico.settings import Settings

log = logging.getLogger("unico.worker")

PeriodicJob = tuple[str, Callable[[Database], int]]
"""A named job run on every tick; returns how many things it handled (for the report)."""

DEFAULT_PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    ("release_expired_reservations", release_expired_reservations),
    *order_jobs.PERIODIC_JOBS,
    *customer_jobs.PERIODIC_JOBS,
    *pricing_jobs.PERIODIC_JOBS,
    *loyalty_jobs.PERIODIC_JOBS,
)

# Rounds of fan-out/delivery per tick while batches come back full, so a backlog drains quickly
# without one tick starving the periodic jobs.
MAX_ROUNDS_PER_TICK = 10
FAN_OUT_BATCH = 500
DELIVERY_BATCH = 100


def default_subscribers(db: Database) -> Subscribers:
    """The in-process subscribers every worker runs. Domains register their handlers here."""
    subscribers = Subscribers()
    order_jobs.subscribe(subscribers, db)
    fulfillment_jobs.subscribe(subscribers, db)
    customer_jobs.subscribe(subscribers, db)
    pricing_jobs.subscribe(subscribers, db)
    loyalty_jobs.subscribe(subscribers, db)
    return subscribers


class Worker:
    """Relays the outbox of ``db`` and runs periodic jobs; see the module docstring."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        subscribers: Subscribers | None = None,
        periodic: Sequence[PeriodicJob] | None = None,
        webhook_sender: WebhookSender | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.periodic = tuple(DEFAULT_PERIODIC_JOBS if periodic is None else periodic)
        self._http_sender: HttpWebhookSender | None = None
        if webhook_sender is None:
            self._http_sender = HttpWebhookSender(timeout_seconds=settings.webhook_timeout_seconds)
            webhook_sender = self._http_sender
        self.senders = Senders(
            subscribers=default_subscribers(db) if subscribers is None else subscribers,
            webhook=webhook_sender,
            handler_max_attempts=settings.handler_max_attempts,
            webhook_max_attempts=settings.webhook_max_attempts,
        )
        # A claimed batch is leased for as long as sending all of it may take, so that no other
        # worker takes a delivery this one is still busy with.
        self.lease = max(
            DEFAULT_LEASE, timedelta(seconds=DELIVERY_BATCH * settings.webhook_timeout_seconds + 60)
        )
        self._stopping = threading.Event()

    def run_once(self) -> dict[str, int]:
        """One tick: fan out, deliver what is due, run periodic jobs. Returns counts of each."""
        report = {"dispatched": 0, "delivered": 0, "retried": 0, "dead": 0, "cancelled": 0}
        for _ in range(MAX_ROUNDS_PER_TICK):
            dispatched = fan_out(self.db, self.senders.subscribers, batch=FAN_OUT_BATCH)
            report["dispatched"] += dispatched
            if dispatched < FAN_OUT_BATCH:
                break
        for _ in range(MAX_ROUNDS_PER_TICK):
            delivery = deliver_due(self.db, self.senders, limit=DELIVERY_BATCH, lease=self.lease)
            for key in ("delivered", "retried", "dead", "cancelled"):
                report[key] += getattr(delivery, key)
            if delivery.claimed < DELIVERY_BATCH:
                break
        for name, job in self.periodic:
            try:
                report[name] = job(self.db)
            except Exception:  # one failing job must not stop the relay or the other jobs
                log.exception("periodic job %s failed", name, extra={"job": name})
                report[name] = -1
        return report

    def run_forever(self, *, handle_signals: bool = True) -> None:
        """Tick until :meth:`stop` (or SIGTERM/SIGINT when ``handle_signals``, main thread only)."""
        if handle_signals:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, self._on_signal)
        poll = self.settings.worker_poll_seconds
        log.info("worker started", extra={"poll_seconds": poll, "jobs": [n for n, _ in self.periodic]})
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                report = self.run_once()
            except Exception:  # e.g. the database is briefly unreachable: log, wait, try again
                log.exception("worker tick failed")
            else:
                if any(report.values()):
                    elapsed_ms = round((time.monotonic() - started) * 1000, 1)
                    log.info("worker tick", extra={**report, "elapsed_ms": elapsed_ms})
            self._stopping.wait(poll)
        self.close()
        log.info("worker stopped")

    def stop(self) -> None:
        """Ask :meth:`run_forever` to return after the current tick."""
        self._stopping.set()

    def close(self) -> None:
        if self._http_sender is not None:
            self._http_sender.close()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("worker stopping on %s", signal.Signals(signum).name)
        self.stop()

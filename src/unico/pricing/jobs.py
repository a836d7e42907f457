"""This domain's worker hooks: periodic jobs and outbox subscribers (see ``unico.worker``).

``audit_coherence_hourly`` runs the coherence audit at most once an hour per worker process (the
fingerprints in ``price_audits`` keep several workers from announcing a finding twice).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from unico.core import clock
from unico.core.db import Database
from unico.core.outbox import Subscribers
from unico.pricing.coherence import audit_coherence

AUDIT_EVERY = timedelta(hours=1)

_last_audit: dict[str, datetime] = {}
_lock = threading.Lock()


def audit_coherence_hourly(db: Database) -> int:
    """Audit price coherence if the last audit of ``db`` by this process is an hour old or more;
    returns the number of new unjustified findings (each announced by an event)."""
    now = clock.now()
    with _lock:
        last = _last_audit.get(db.url)
        if last is not None and timedelta(0) <= now - last < AUDIT_EVERY:  # a clock set back reruns
            return 0
        _last_audit[db.url] = now
    return audit_coherence(db, now, emit=True).new_findings


PERIODIC_JOBS: tuple[tuple[str, Callable[[Database], int]], ...] = (
    ("audit_price_coherence", audit_coherence_hourly),
)


def subscribe(subscribers: Subscribers, db: Database) -> None:
    """Register this domain's in-process event handlers (none: pricing reacts to no event)."""

"""Opening store and warehouse tasks for new allocations (shared by placing and re-sourcing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from unico.core.ids import new_id
from unico.fulfillment.store import fulfillment_load, fulfillment_tasks
from unico.orders.lifecycle import TaskKind, TaskStatus
from unico.orders.network import local_day

_INSERT_TASKS = fulfillment_tasks.insert().returning(fulfillment_tasks.c.id, sort_by_parameter_order=True)


def _count_load_statement(insert: Any) -> Any:
    statement = insert(fulfillment_load).values(
        location_id=bindparam("lid"), day=bindparam("day"), tasks=bindparam("n")
    )
    return statement.on_conflict_do_update(
        index_elements=["location_id", "day"],
        set_={"tasks": fulfillment_load.c.tasks + statement.excluded.tasks},
    )


_COUNT_LOAD = {
    "postgresql": _count_load_statement(postgresql.insert),
    "sqlite": _count_load_statement(sqlite.insert),
}


@dataclass(frozen=True, slots=True)
class TaskKey:
    location_id: int
    kind: TaskKind
    destination_id: int | None


def open_tasks(
    conn: Connection,
    order_pk: int,
    keys: list[TaskKey],
    at: datetime,
    *,
    reuse: bool = False,
    task_ids: dict[TaskKey, str] | None = None,
) -> dict[TaskKey, tuple[int, str, bool]]:
    """One task per key: ``key -> (task row id, task id, created)``.

    ``reuse``: an *open* task of the same order, location and kind takes the new units instead
    of a new task (re-sourcing onto a location that already works on the order).
    """
    wanted = list(dict.fromkeys(keys))
    found: dict[TaskKey, tuple[int, str, bool]] = {}
    if reuse and wanted:
        for r in conn.execute(
            select(fulfillment_tasks).where(
                fulfillment_tasks.c.order_id == order_pk,
                fulfillment_tasks.c.status == TaskStatus.OPEN.value,
            )
        ):
            key = TaskKey(int(r.location_id), TaskKind(r.kind), r.destination_location_id)
            if key in wanted and key not in found:
                found[key] = (int(r.id), r.task_id, False)
    new = [k for k in wanted if k not in found]
    if new:
        rows = [
            {
                "task_id": (task_ids or {}).get(k) or new_id("tsk"),
                "order_id": order_pk,
                "location_id": k.location_id,
                "kind": k.kind.value,
                "status": (
                    TaskStatus.IN_TRANSIT if k.kind is TaskKind.RECEIVE_FOR_PICKUP else TaskStatus.OPEN
                ).value,
                "destination_location_id": k.destination_id,
                "created_at": at,
                "updated_at": at,
            }
            for k in new
        ]
        ids = (
            conn.execute(
                fulfillment_tasks.insert().returning(fulfillment_tasks.c.id, sort_by_parameter_order=True),
                rows,
            )
            .scalars()
            .all()
        )
        for key, row, pk in zip(new, rows, ids, strict=True):
            found[key] = (int(pk), str(row["task_id"]), True)
        count_load(conn, [k.location_id for k in new], at)
    return found


def count_load(conn: Connection, location_ids: list[int], at: datetime) -> None:
    """Add the new tasks to each location's count of the day (one upsert)."""
    per: dict[int, int] = {}
    for location_id in location_ids:
        per[location_id] = per.get(location_id, 0) + 1
    day = local_day(at)
    rows = [{"lid": lid, "day": day, "n": n} for lid, n in sorted(per.items())]
    conn.execute(_COUNT_LOAD[conn.dialect.name], rows)

"""The progress bar of a file import on the command line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


@contextmanager
def import_progress(console: Console, name: str, total: int) -> Iterator[Callable[[int], None]]:
    """A bar "importing NAME" of ``total`` rows; yields the callback that advances it by n rows."""
    columns = (
        TextColumn("importing {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(name, total=total)
        yield lambda n: progress.advance(task, n)

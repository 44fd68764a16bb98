"""`cdp sync`'s progress: a bar per destination on a terminal, plain lines otherwise.

On a terminal, each (segment, destination) run gets a rich progress bar with its members
done out of the total and the vendor batches sent. When stdout is not a terminal (cron,
CI, a pipe into a log), a line per tenth of the way and one at the end, so the log shows
progress without control characters.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

if TYPE_CHECKING:
    from activate.progress import SyncProgress

STEPS = 10
"""Plain output: a line each time this many-th of the total is passed."""


class SyncProgressView:
    """A `SyncEngine(on_progress=...)` listener. Use as a context manager."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal
        self._bar: Progress | None = None
        self._tasks: dict[tuple[str, str], TaskID] = {}
        self._printed: dict[tuple[str, str], int] = {}

    def __enter__(self) -> SyncProgressView:
        if self.live:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("members, {task.fields[batches]} batches"),
                TimeElapsedColumn(),
                console=self.console,
            )
            self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __call__(self, p: SyncProgress) -> None:
        key = (p.segment, p.destination)
        if self._bar is not None:
            task = self._tasks.get(key)
            if task is None:
                task = self._bar.add_task(
                    f"{p.segment} -> {p.destination}", total=p.total, batches=0
                )
                self._tasks[key] = task
            self._bar.update(task, completed=p.done, total=p.total, batches=p.batches)
            return
        # A finished run gets its own line, past the last tenth.
        step = STEPS + 1 if p.finished else (p.done * STEPS // p.total if p.total else 0)
        if step <= self._printed.get(key, -1):
            return
        self._printed[key] = step
        state = "done" if p.finished else f"{step * 100 // STEPS}%"
        self.console.print(
            f"sync {p.segment} -> {p.destination}: {p.done:,}/{p.total:,} members, "
            f"{p.batches:,} batches ({state})",
            highlight=False,
        )

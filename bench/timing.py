"""Where a benchmark's time goes: wall time summed per step, without touching the code timed.

`StepTimer.wrap` replaces a function (or method) on its module (or class) with one that adds
its wall time to a named step; `StepTimer.listen` collects the `matching step ... took` log
lines of `matching.probabilistic`. Steps that run concurrently (`asyncio.gather`) each count
their own wall time, so their sum can exceed the phase that holds them.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class _StepLog(logging.Handler):
    def __init__(self, timer: StepTimer) -> None:
        super().__init__(logging.INFO)
        self.timer = timer

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "matching step %s took %.2fs" and isinstance(record.args, tuple):
            step, seconds = record.args
            if isinstance(seconds, int | float):
                self.timer.add(f"splink {step}", float(seconds))


class StepTimer:
    """Seconds and calls per step, taken (and reset) per benchmark stage."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self._undo: list[Callable[[], None]] = []

    def add(self, step: str, seconds: float) -> None:
        self.seconds[step] += seconds
        self.calls[step] += 1

    def wrap(self, owner: Any, attr: str, step: str | None = None) -> None:
        """Time every call of `owner.attr` (a coroutine function or a plain one) as `step`."""
        original = getattr(owner, attr)
        label = step or attr
        if inspect.iscoroutinefunction(original):

            @functools.wraps(original)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return await original(*args, **kwargs)
                finally:
                    self.add(label, time.perf_counter() - t0)

            setattr(owner, attr, timed_async)
        else:

            @functools.wraps(original)
            def timed(*args: Any, **kwargs: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    self.add(label, time.perf_counter() - t0)

            setattr(owner, attr, timed)
        self._undo.append(lambda: setattr(owner, attr, original))

    def wrap_queries(self, owner: Any, attr: str = "_records") -> None:
        """Time every query that `owner.attr(self, name, query, params, routing)` runs, per
        query name (`read <name>` or `write <name>`): the one method every read and write
        of `GraphClient` goes through, except streamed reads."""
        original = getattr(owner, attr)

        @functools.wraps(original)
        async def timed(obj: Any, name: str, query: str, params: Any, routing: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return await original(obj, name, query, params, routing)
            finally:
                kind = (
                    "write"
                    if str(getattr(routing, "value", routing)).lower()
                    in (
                        "w",
                        "write",
                    )
                    else "read"
                )
                self.add(f"{kind} {name}", time.perf_counter() - t0)

        setattr(owner, attr, timed)
        self._undo.append(lambda: setattr(owner, attr, original))

    @contextmanager
    def listen(self, logger_name: str = "matching.probabilistic") -> Iterator[None]:
        """Collect the Splink steps that `logger_name` logs at INFO while inside."""
        logger = logging.getLogger(logger_name)
        handler, level = _StepLog(self), logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            yield
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)

    def restore(self) -> None:
        while self._undo:
            self._undo.pop()()

    def take(self) -> list[tuple[str, float, int]]:
        """(step, seconds, calls) since the last take, slowest first; then reset."""
        out = sorted(((s, t, self.calls[s]) for s, t in self.seconds.items()), key=lambda x: -x[1])
        self.seconds.clear()
        self.calls.clear()
        return out


def format_steps(steps: list[tuple[str, float, int]], min_seconds: float = 0.05) -> str:
    shown = [
        f"{s} {t:.2f} s" + (f" ({n} calls)" if n > 1 else "")
        for s, t, n in steps
        if t >= min_seconds
    ]
    return "; ".join(shown) or "-"


def peak_kb(pid: int) -> int:
    """Peak resident set (VmHWM) of a process, in kB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0

"""Progress of long command-line jobs (seeding, key rotation): rich bars on a terminal, plain
lines elsewhere (CI logs, `make serve | tee`), where a live bar would print nothing useful.

    with TaskProgress(console) as progress:
        progress("residents", 0, 2000)   # announce a task and its total
        progress("residents", 500, 0)    # advance it (total 0: unchanged)
"""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


class TaskProgress:
    """A `(task, advance, total)` callback; `label` prefixes each task's name."""

    def __init__(self, console: Console, label: str = "seeding", *, interval: float = 2.0,
                 quiet: bool = False) -> None:
        self.console, self.label, self.interval, self.quiet = console, label, interval, quiet
        self.live = console.is_terminal and not quiet
        self._bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=console, disable=not self.live)
        self._ids: dict[str, TaskID] = {}
        self._plain: dict[str, list[float]] = {}  # task -> [done, total, started, last printed]

    def __enter__(self) -> TaskProgress:
        self._bar.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._bar.__exit__(exc_type, exc, tb)

    def __call__(self, task: str, advance: int, total: int) -> None:
        if self.live:
            if task not in self._ids:
                self._ids[task] = self._bar.add_task(f"{self.label} {task}", total=total or None)
            elif total:
                self._bar.update(self._ids[task], total=total)
            self._bar.advance(self._ids[task], advance)
        elif not self.quiet:
            self._line(task, advance, total)

    def _line(self, task: str, advance: int, total: int) -> None:
        """At most one line per task every `interval` seconds, and one when it completes."""
        now = time.monotonic()
        state = self._plain.setdefault(task, [0, 0, now, float("-inf")])
        finished_before = state[1] and state[0] >= state[1]
        state[0] += advance
        state[1] = total or state[1]
        done, all_, started, last = state
        finished = bool(all_) and done >= all_
        if finished_before or not (finished or (advance and now - last >= self.interval)):
            return
        state[3] = now
        share = f" ({100 * done / all_:.0f}%)" if all_ else ""
        self.console.print(f"{self.label} {task}: {int(done):,}/{int(all_):,}{share}, {now - started:.1f}s",
                           markup=False, highlight=False, soft_wrap=True)

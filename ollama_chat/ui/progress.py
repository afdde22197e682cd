"""A pull's progress: a rich progress bar per layer (bytes, speed, time left) and the status lines, in a
terminal; the status lines alone, once each, elsewhere."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.text import Text

from ollama_chat.i18n import _
from ollama_chat.types import PullProgress
from ollama_chat.text import one_line


class PullView:
    """Shows one pull on a terminal console. `close()` leaves the finished bars on screen."""

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

        self._console = console
        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                                  TimeRemainingColumn(), console=console)
        self._tasks: dict[str, int] = {}
        self._last = ""
        self._progress.start()

    def update(self, step: PullProgress) -> None:
        status = one_line(step.status)
        if step.total:
            task = self._tasks.get(status)
            if task is None:
                task = self._tasks[status] = self._progress.add_task(status, total=step.total)
            self._progress.update(task, completed=step.completed, total=step.total)
        elif status != self._last and status != "success":  # "NAME is ready." follows success
            if self._tasks:  # the downloads are done: leave their bars where they are, the steps after them below
                self._progress.stop()
            self._console.print(Text(status, style="dim"))
        self._last = status

    def close(self) -> None:
        self._progress.stop()


class PlainPullView:
    """The status lines, once each, on a stream that is not a terminal (a log, a pipe)."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._last = ""

    def update(self, step: PullProgress) -> None:
        status = one_line(step.status)
        done = step.total and step.completed >= step.total
        line = _("{status} ({size} bytes)").format(status=status, size=f"{step.total:,}") if done else status
        if (status != self._last or done) and (not step.total or done) and status != "success":
            self._out.write(line + "\n")
            self._out.flush()
        self._last = status

    def close(self) -> None:
        pass

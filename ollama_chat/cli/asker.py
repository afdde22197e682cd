"""Asking one question per item of a long list at once, a bounded number at a time, and reading the answers
in the list's order as soon as they are known: `ollama-chat models` asks /api/show once per model, and a
server with 100,000 models took 75 minutes asked one by one, printing nothing until the end.

`WORKERS` threads take the next item in turn (so no more than that many questions are ever out at once), and
run at most `WINDOW` items ahead of the reader, so a slow answer holds up memory no more than the screen.
Threads suit this: the work is waiting on the network, and a keep-alive connection per thread (from the
session's pool) saves a connection per question.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
WORKERS = 16  # 8 left a server that takes 5 ms an answer 85 s for 100,000 models; 16: 56 s (bench/many_models.py)
WINDOW = 1024
_NOT_YET = object()


class Asker(Generic[T]):
    """`ask(item)` for each item, in `workers` threads. `ready()` hands out the answers in order; `stop()`
    lets the threads go (each ends after the question it is asking). An exception from `ask` is raised by
    `ready()` when its turn comes (so `ask` should turn the failures it expects into answers)."""

    def __init__(self, ask: Callable[[str], T], items: Sequence[str], workers: int = WORKERS,
                 window: int = WINDOW) -> None:
        self._ask = ask
        self._items = items
        self._answers: list[object] = [_NOT_YET] * len(items)
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)  # the reader waits here
        self._room = threading.Condition(self._lock)  # the workers wait here for the reader to catch up
        self._next = 0  # the next item a worker takes
        self._read = 0  # the next item the reader hands out
        self._done = 0  # answers in
        self._stopped = False
        self._window = max(1, window)
        self._threads = [threading.Thread(target=self._work, name=f"ollama-chat-ask-{i}", daemon=True)
                         for i in range(max(1, min(workers, len(items))))] if items else []

    def __enter__(self) -> Asker[T]:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def answered(self) -> int:
        return self._done

    @property
    def finished(self) -> bool:
        return self._read >= len(self._items)

    def ready(self, wait: float) -> list[T]:
        """The answers from the next unread item on, as far as they are in; waits up to `wait` seconds for
        the first of them (an empty list when it did not come)."""
        with self._lock:
            if self._read < len(self._items) and self._answers[self._read] is _NOT_YET:
                self._answered.wait_for(lambda: self._answers[self._read] is not _NOT_YET, wait)
            out: list[T] = []
            while self._read < len(self._items) and self._answers[self._read] is not _NOT_YET:
                answer = self._answers[self._read]
                if isinstance(answer, _Failed) and out:
                    break  # the answers before it first; it is raised by the next call
                self._answers[self._read] = None
                self._read += 1
                if isinstance(answer, _Failed):
                    raise answer.error
                out.append(answer)  # type: ignore[arg-type]
            if out:
                self._room.notify_all()
            return out

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._room.notify_all()

    def _work(self) -> None:
        while True:
            with self._lock:
                self._room.wait_for(lambda: self._stopped or self._next >= len(self._items)
                                    or self._next < self._read + self._window)
                if self._stopped or self._next >= len(self._items):
                    return
                index, self._next = self._next, self._next + 1
            try:
                answer: object = self._ask(self._items[index])
            except Exception as e:  # a bug, not a failure `ask` expects: the reader raises it in its turn
                answer = _Failed(e)
            with self._lock:
                self._answers[index] = answer
                self._done += 1
                if index == self._read:
                    self._answered.notify()


class _Failed:
    def __init__(self, error: Exception) -> None:
        self.error = error

"""Clocks: the real wall clock, and virtual time for tests and simulations.

Flows wait with asyncio (``asyncio.sleep``/``wait_for``/``loop.call_later``).
``VirtualTimeLoop`` is an asyncio event loop whose clock does not follow the
wall: whenever nothing is ready to run, it jumps straight to the next timer. A
day of retries then runs in milliseconds, deterministically, with the same code
that runs in production. It has no real I/O: only timers and in-process futures
(the simulated network, SQLite calls made synchronously in the loop thread).
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

T = TypeVar("T")


class SystemClock:
    """The real wall clock (UTC)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class LoopClock:
    """Wall time derived from the running event loop's monotonic clock.

    With a real loop it tracks ``datetime.now``; with a ``VirtualTimeLoop`` it
    follows the loop's virtual time from ``epoch``.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, epoch: datetime) -> None:
        if epoch.tzinfo is None:
            raise ValueError("epoch must be timezone-aware")
        self._loop = loop
        self._epoch = epoch
        self._t0 = loop.time()

    def now(self) -> datetime:
        return self._epoch + timedelta(seconds=self._loop.time() - self._t0)


class _VirtualSelector(selectors.BaseSelector):
    """A selector that never waits: a wait of ``timeout`` advances virtual time."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        self._loop = loop
        self._map: dict[Any, selectors.SelectorKey] = {}

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        # Only the loop's own self-pipe is registered; it is never selected.
        key = selectors.SelectorKey(
            fileobj, fileobj if isinstance(fileobj, int) else -1, events, data
        )
        self._map[fileobj] = key
        return key

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._map.pop(fileobj)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None:
            raise VirtualTimeDeadlock(
                "virtual time: nothing is ready and no timer is scheduled; "
                "a task is waiting on something that will never happen"
            )
        self._loop.advance(timeout)
        return []

    def close(self) -> None:
        self._map.clear()

    def get_map(self) -> dict[Any, selectors.SelectorKey]:
        return self._map


class VirtualTimeDeadlock(RuntimeError):
    """Every task waits, and no timer will ever wake one."""


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop on virtual time (see module docstring)."""

    def __init__(self) -> None:
        self._virtual_now = 0.0
        super().__init__(_VirtualSelector(self))

    def time(self) -> float:
        return self._virtual_now

    def advance(self, seconds: float) -> None:
        if seconds > 0:
            self._virtual_now += seconds


def run_virtual(
    main: Callable[[asyncio.AbstractEventLoop], Coroutine[Any, Any, T]] | Awaitable[T],
) -> T:
    """Run a coroutine to completion on a fresh ``VirtualTimeLoop``.

    ``main`` is either an awaitable or a function taking the loop and returning
    a coroutine (handy to build a ``LoopClock`` before anything runs).
    """
    loop = VirtualTimeLoop()
    try:
        asyncio.set_event_loop(loop)
        coro = main(loop) if callable(main) else main
        return loop.run_until_complete(coro)
    finally:
        try:
            _cancel_all(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in tasks:
        t.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))

"""Background components run for the life of the application (aiohttp `cleanup_ctx`).

A component is any of:

- an object with `async start()` and `async stop()` (the delivery workers, the callback
  dispatcher, the watched folder);
- an async context manager (entered at startup, exited at shutdown);
- a factory `fn(app) -> one of the above`, called once the store is open, so a component can
  take `app[keys.STORE]` and friends.

Components start in the order given and stop in reverse. A component may expose `name` (for
/readyz and the metrics) and `running` (a bool, or a callable returning one); without `running`
it counts as running between a successful start and its stop. /readyz is 503 while any is not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, runtime_checkable

from aiohttp import web

_log = logging.getLogger("gateway.http.components")


@runtime_checkable
class Component(Protocol):
    """Something that runs in the background between `start` and `stop`."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


ComponentFactory = Callable[[web.Application], "Component | AbstractAsyncContextManager[Any]"]
ComponentLike = Component | AbstractAsyncContextManager[Any] | ComponentFactory


def component_name(obj: object) -> str:
    name = getattr(obj, "name", None)
    return name if isinstance(name, str) and name else type(obj).__name__


class _Started:
    def __init__(self, obj: Any) -> None:
        self.obj = obj
        self.name = component_name(obj)
        self.stopped = False

    def running(self) -> bool:
        if self.stopped:
            return False
        flag = getattr(self.obj, "running", None)
        if flag is None:
            return True
        return bool(flag() if callable(flag) else flag)


class ComponentSet:
    """The application's started components, in start order."""

    def __init__(self, items: Sequence[ComponentLike]) -> None:
        self._items = list(items)
        self._started: list[_Started] = []

    async def start_all(self, app: web.Application) -> None:
        """Start every component in order; if one fails, stop those started and re-raise."""
        try:
            for item in self._items:
                obj: Any = item
                if not isinstance(item, Component) and not hasattr(item, "__aenter__") and callable(item):
                    obj = item(app)
                if isinstance(obj, Component):
                    await obj.start()
                elif hasattr(obj, "__aenter__"):
                    await obj.__aenter__()
                else:
                    raise TypeError(f"{component_name(obj)} is not a component (start/stop or async with)")
                self._started.append(_Started(obj))
                _log.info(json.dumps({"event": "component.started", "component": component_name(obj)}))
        except BaseException:
            await self.stop_all()
            raise

    async def stop_all(self) -> None:
        """Stop every started component, last first; a failing stop is logged, not raised."""
        while self._started:
            entry = self._started.pop()
            entry.stopped = True
            try:
                if isinstance(entry.obj, Component):
                    await entry.obj.stop()
                else:
                    await entry.obj.__aexit__(None, None, None)
            except Exception as exc:  # keep stopping the others
                _log.error(json.dumps({"event": "component.stop_failed", "component": entry.name,
                                       "error": type(exc).__name__}))
            else:
                _log.info(json.dumps({"event": "component.stopped", "component": entry.name}))

    def status(self) -> list[tuple[str, bool]]:
        """(name, running) of every started component."""
        return [(entry.name, entry.running()) for entry in self._started]

    @property
    def expected(self) -> int:
        return len(self._items)


class TaskComponent:
    """A coroutine run as a task: created at start, cancelled and awaited at stop (the aiohttp
    background-task pattern). `running` is False once the task has ended, e.g. by an error."""

    def __init__(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        self.name = name
        self._run = run
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._guarded(), name=self.name)

    async def _guarded(self) -> None:
        try:
            await self._run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            _log.error(json.dumps({"event": "component.crashed", "component": self.name,
                                   "error": type(exc).__name__}))
            raise

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

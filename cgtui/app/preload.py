"""What a graph's first step would wait for, made in a thread once the graph is on screen.

Stepping a graph uses numpy (the engine computes under ``np.errstate``), and its import
takes a tenth of a second or more: on the first ``f`` after the explorer opened, that was
the step's whole frame; the side pane's accumulation of the first node reads the graph's
successor lists, made on first use (15 ms for 10,000 nodes). Nothing on the first screen
of a graph of numbers needs either, so they are made after that screen, in a thread, while
the user reads it (:func:`warm`).

``cgtui.core.lazy.np`` is a lazy module (:class:`importlib.util.LazyLoader`) whose first
attribute access runs the import; Python 3.11's lazy modules take no lock, so an access
from another thread during the load would find a half-made module. While the thread
loads it, the module is a :class:`_Guarded` one instead: any other thread's access waits
for the load to end, then reads the finished module. The loading thread itself (numpy's
own imports read the package while it runs) reads through.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Callable
from typing import Any, cast

#: Held by the loading thread for the whole load.
_LOCK = threading.Lock()

#: The loading thread's id while it loads.
_loading: int | None = None


class _Guarded(types.ModuleType):
    """A lazy module being loaded by another thread: an access waits for the load."""

    def __getattribute__(self, attr: str) -> Any:
        if _loading == threading.get_ident():  # the load itself
            return types.ModuleType.__getattribute__(self, attr)
        with _LOCK:  # the load has ended once this is free; the module is a plain one
            pass
        if type(self) is _Guarded:  # pragma: no cover - the load failed: load it here
            self.__class__ = cast(Any, types.ModuleType)
            _exec(self)
        return getattr(self, attr)


def is_lazy(module: types.ModuleType) -> bool:
    """Whether ``module`` is a lazy module not loaded yet (nor being loaded)."""
    return type(module).__name__ == "_LazyModule"


def warm(
    module: types.ModuleType | None,
    jobs: list[Callable[[], object]],
    done: Callable[[], object] | None = None,
) -> threading.Thread:
    """In a new daemon thread: load ``module`` when it is a lazy module not loaded yet,
    run ``jobs`` (each must be safe to run beside the app's thread: a cache filled on first
    use, the same whichever thread fills it), then call ``done``. Call it from the thread
    that may use the module meanwhile, before any other thread could be the first to use it."""
    guarded = module is not None and is_lazy(module)
    if guarded:
        assert module is not None
        module.__class__ = _Guarded  # from now on no access runs the lazy module's own load
        _LOCK.acquire()

    def run() -> None:
        global _loading
        if guarded:
            assert module is not None
            _loading = threading.get_ident()
            try:
                _exec(module)
                module.__class__ = types.ModuleType
            finally:
                _loading = None
                _LOCK.release()
        for job in jobs:
            job()
        if done is not None:
            done()

    thread = threading.Thread(target=run, name="warm up", daemon=True)
    try:
        thread.start()
    except BaseException:  # pragma: no cover - no thread could start: load it here
        if guarded:
            assert module is not None
            _LOCK.release()
            module.__class__ = types.ModuleType
            _exec(module)
        raise
    return thread


def _exec(module: types.ModuleType) -> None:
    """What the lazy module's first access does (``importlib.util._LazyModule``): run the
    module's code, keeping the attributes set on it since it was made."""
    read = types.ModuleType.__getattribute__
    spec = read(module, "__spec__")
    then = spec.loader_state["__dict__"]
    now = read(module, "__dict__")
    kept = {key: value for key, value in now.items() if key not in then or value is not then[key]}
    spec.loader.exec_module(module)
    now.update(kept)

"""numpy, imported when it is first used.

Graphs of numbers alone never touch numpy: ``cgtui grad 'x*y'`` and the 100,000-term sum
run on Python floats. Importing numpy takes about a tenth of a second, as long as the rest
of such a command, so the modules below the app take ``np`` from here: a module object
that imports numpy on its first attribute access (the standard library's
:class:`importlib.util.LazyLoader`), in whichever module and function that happens.

The first access must not happen in two threads at once (Python 3.11's lazy modules take
no lock): the explorer, which runs workers in threads, loads numpy with
:func:`load_numpy` before it starts them.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import TYPE_CHECKING

__all__ = ["load_numpy", "np"]


def _lazy(name: str) -> ModuleType:
    """Module ``name``, imported on first use (at once if it is imported already)."""
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:  # pragma: no cover - numpy is a dependency
        raise ModuleNotFoundError(f"no module named '{name}'", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


if TYPE_CHECKING:
    import numpy as np
else:
    np = _lazy("numpy")


def load_numpy() -> None:
    """Import numpy now, in this thread, if nothing has used it yet."""
    np.ndarray  # noqa: B018 - the first attribute access runs numpy's import

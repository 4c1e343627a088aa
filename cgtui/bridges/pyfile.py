"""Loading the user's own Python file for a bridge: ``FILE.py:NAME``. This runs FILE, which
tracing needs; only the command line ever calls it (never the explorer or ``cgtui serve``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from cgtui.core.errors import CgtuiError


def load_object(spec: str) -> Any:
    """The object called NAME in FILE for ``FILE.py:NAME``, after running FILE."""
    file, sep, name = spec.rpartition(":")
    if not sep or not file or not name:
        raise CgtuiError(f"expected FILE.py:NAME, got '{spec}'")
    path = Path(file)
    if not path.is_file():
        raise CgtuiError(f"no such file: {file}")
    module_name = f"_cgtui_import_{path.stem}"
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise CgtuiError(f"cannot load {file} as Python")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[module_name] = module
    try:
        loader_spec.loader.exec_module(module)
    except Exception as exc:
        raise CgtuiError(f"{file} failed while it was run: {type(exc).__name__}: {exc}") from None
    finally:
        sys.modules.pop(module_name, None)
    if not hasattr(module, name):
        found = sorted(k for k in vars(module) if not k.startswith("_"))
        raise CgtuiError(f"{file} defines no '{name}' (it defines: {', '.join(found[:20]) or 'nothing'})")
    return getattr(module, name)

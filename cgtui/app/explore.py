"""``cgtui [SOURCE]``: open the explorer on SOURCE (default: the squared-error sample).

The graph is loaded and checked before the app starts, so a bad SOURCE or output is an
error message and exit status 2, never a broken screen.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cgtui.app import heap
from cgtui.commands.common import graph_from_args
from cgtui.lang.samples import default_sample


def run(args: argparse.Namespace) -> int:
    heap.pause()  # until the first screen is drawn (see cgtui/app/heap.py)
    try:
        return _run(args)
    finally:
        heap.resume()  # (a refused source, or an app that closed before its first screen)


def _run(args: argparse.Namespace) -> int:
    sandbox = getattr(args, "sandbox", None)
    read_only = bool(getattr(args, "read_only", False))
    served = sandbox is not None or read_only
    if served:
        from cgtui.app.serve import watch_parent

        watch_parent()  # a served session ends when its server does, from its first moment

    from cgtui.engine.engine import Stepper

    graph = graph_from_args(args, default=str(default_sample()))
    stepper = Stepper(graph, getattr(args, "output", None))
    source = args.source if args.source is not None else default_sample().name

    from cgtui.app.app import run_app
    from cgtui.app.safety import Sandbox

    if served:
        return run_app(stepper, source, Sandbox(Path(sandbox) if sandbox else None, read_only=read_only))
    return run_app(stepper, source)

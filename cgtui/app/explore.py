"""``cgtui [SOURCE]``: open the explorer on SOURCE (default: the squared-error sample).

The graph is loaded and checked before the app starts, so a bad SOURCE or output is an
error message and exit status 2, never a broken screen.
"""

from __future__ import annotations

import argparse

from cgtui.commands.common import graph_from_args
from cgtui.lang.samples import default_sample


def run(args: argparse.Namespace) -> int:
    from cgtui.engine.engine import Stepper

    graph = graph_from_args(args, default=str(default_sample()))
    stepper = Stepper(graph, getattr(args, "output", None))
    source = args.source if args.source is not None else default_sample().name

    from cgtui.app.app import run_app

    run_app(stepper, source)
    return 0

"""``cgtui [SOURCE]``: open the explorer (for now: print the steps)."""

from __future__ import annotations

import argparse

from cgtui.samples import default_sample


def run(args: argparse.Namespace) -> int:
    from cgtui.cli import graph_from_args
    from cgtui.core.engine import Stepper

    graph = graph_from_args(args, default=str(default_sample()))
    stepper = Stepper(graph, args.output)
    for line in stepper.run_forward().lines:
        print(line)
    for line in stepper.run_backward().lines:
        print(line)
    return 0

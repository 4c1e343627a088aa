"""What the commands share: the SOURCE arguments, loading the graph they name, the exit
statuses."""

from __future__ import annotations

import argparse
from typing import Any

from cgtui.core.errors import CgtuiError, NumericalFault
from cgtui.core.graph import Graph
from cgtui.lang.source import load_source, parse_assignments, parse_names

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_FAULT = 3



def add_source_arguments(p: argparse.ArgumentParser, *, source_optional: bool = False) -> None:
    """SOURCE and the options that give values and kinds to its leaves."""
    p.add_argument(
        "source",
        metavar="SOURCE",
        nargs="?" if source_optional else None,
        help="a .yaml/.yml graph file, a file of expression text, '-' for stdin, or the expression itself",
    )
    for flag, metavar, help_text in (
        ("--at", "NAME=VALUE", "leaf values: x=1,y=2 (repeatable)"),
        ("--param", "NAMES", "leaves that are learnable params: w,b"),
        ("--label", "NAMES", "leaves that are labels (ground truth)"),
        ("--const", "NAMES", "leaves that are constants"),
    ):
        p.add_argument(flag, action="append", default=[], metavar=metavar, help=help_text)
    p.add_argument("--tree", action="store_true", help="keep the expression tree as written (no merging)")


def graph_from_args(args: argparse.Namespace, default: str | None = None) -> Graph:
    source = args.source if args.source is not None else default
    if source is None:
        raise CgtuiError("no SOURCE given")
    return load_source(
        source,
        values=parse_assignments(args.at),
        params=parse_names(args.param),
        labels=parse_names(args.label),
        consts=parse_names(args.const),
        merge=not args.tree,
    )


def load(args: argparse.Namespace) -> tuple[Graph, int]:
    """The graph from SOURCE and the options, and the index of the output to differentiate."""
    graph = graph_from_args(args)
    output = graph.lookup(args.output) if getattr(args, "output", None) else graph.outputs[0]
    return graph, output


def dump_json(data: Any) -> str:
    """``data`` as indented JSON. Every command's JSON goes through here: a number that is
    not finite has no JSON form (``Infinity`` is not JSON), so it is a numerical fault,
    never invalid output."""
    import json  # here: a command that prints no JSON never loads it

    try:
        return json.dumps(data, indent=2, allow_nan=False)
    except ValueError:
        raise NumericalFault("a value to print is not finite (infinity or NaN has no JSON form)") from None

"""The command line: ``cgtui [SOURCE]`` opens the explorer; ``cgtui COMMAND ...`` runs one
job on the same engine (see ``cgtui --help``). Each command lives in
``cgtui/commands/<name>.py`` with ``add_arguments(parser)`` and ``run(args) -> int``, and
is imported only when it runs, so a scripted ``cgtui grad`` never loads the UI.

Exit status: 0 on success, 2 on bad input, 3 on a numerical fault.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from cgtui import __version__
from cgtui.core.errors import CgtuiError, NumericalFault

COMMANDS: dict[str, str] = {
    "steps": "print the explicit steps of a graph, one elementary operation per line",
    "grad": "the output's value and dL/dleaf for every leaf",
    "paths": "the chain rule as a sum over paths from a node to the output",
    "check": "gradient check: backprop against central differences, for every leaf",
    "export": "write the graph as YAML, JSON, Graphviz dot, Mermaid, or a lesson sheet",
    "draw": "draw the DAG as text",
    "train": "gradient descent on the params",
    "samples": "list the bundled samples",
    "serve": "serve the explorer to a web browser on localhost",
}

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_FAULT = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise CgtuiError(message)


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"cgtui.commands.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"cgtui.commands.{name}":
            return None
        raise


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


def graph_from_args(args: argparse.Namespace, default: str | None = None):  # type: ignore[no-untyped-def]
    from cgtui.core.source import load_source, parse_assignments, parse_names

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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cgtui",
        description="Turn an expression into a computation graph and step through backpropagation.",
        epilog="commands: " + "; ".join(f"{k}: {v}" for k, v in COMMANDS.items()),
    )
    parser.add_argument("--version", action="version", version=f"cgtui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        mod = _module(name)
        if mod is None:
            continue
        p = sub.add_parser(name, help=help_text, description=help_text)
        mod.add_arguments(p)
    return parser


def app_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cgtui",
        description="Open the explorer on SOURCE (default: the squared-error sample). "
        f"Commands: {', '.join(COMMANDS)} (cgtui COMMAND --help).",
    )
    parser.add_argument("--version", action="version", version=f"cgtui {__version__}")
    add_source_arguments(parser, source_optional=True)
    parser.add_argument("--output", metavar="NAME", help="the output to differentiate")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list and args_list[0] in COMMANDS:
            parser = build_parser()
            args = parser.parse_args(args_list)
            mod = _module(args.command)
            assert mod is not None
            return int(mod.run(args))
        if args_list and args_list[0] in ("-h", "--help"):
            build_parser().print_help()
            return EXIT_OK
        args = app_parser().parse_args(args_list)
        from cgtui.commands import explore

        return int(explore.run(args))
    except NumericalFault as exc:
        print(f"cgtui: numerical fault: {exc}", file=sys.stderr)
        return EXIT_FAULT
    except CgtuiError as exc:
        print(f"cgtui: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK

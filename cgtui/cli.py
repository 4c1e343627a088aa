"""The command line: ``cgtui [SOURCE]`` opens the explorer; ``cgtui COMMAND ...`` runs one
job on the same engine (see ``cgtui --help``). Each command lives in
``cgtui/commands/<name>.py`` (``serve``, which runs the explorer, in ``cgtui/app/serve.py``)
with ``add_arguments(parser)`` and ``run(args) -> int``, and is imported only when it
runs, so a scripted ``cgtui grad`` never loads the UI.

Exit status: 0 on success, 2 on bad input, 3 on a numerical fault.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Protocol

from cgtui import __version__
from cgtui.commands.common import EXIT_BAD_INPUT, EXIT_FAULT, EXIT_OK, add_source_arguments
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
    "import": "trace a PyTorch function into a graph (runs the file given)",
}

class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise CgtuiError(message)


class Command(Protocol):
    """A command module: ``cgtui/commands/<name>.py`` (``serve`` lives with the app)."""

    def add_arguments(self, p: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _command(name: str) -> Command:
    """The module of a command, imported when it is needed, with plain imports so that
    mypy, ruff and import-linter see them."""
    match name:
        case "steps":
            from cgtui.commands import steps

            return steps
        case "grad":
            from cgtui.commands import grad

            return grad
        case "paths":
            from cgtui.commands import paths

            return paths
        case "check":
            from cgtui.commands import check

            return check
        case "export":
            from cgtui.commands import export

            return export
        case "draw":
            from cgtui.commands import draw

            return draw
        case "train":
            from cgtui.commands import train

            return train
        case "samples":
            from cgtui.commands import samples

            return samples
        case "serve":
            from cgtui.app import serve

            return serve
        case "import":
            from cgtui.commands import import_graph

            return import_graph
    raise CgtuiError(f"unknown command '{name}'")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cgtui",
        description="Turn an expression into a computation graph and step through backpropagation.",
        epilog="commands: " + "; ".join(f"{k}: {v}" for k, v in COMMANDS.items()),
    )
    parser.add_argument("--version", action="version", version=f"cgtui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        _command(name).add_arguments(p)
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
            return int(_command(args.command).run(args))
        if args_list and args_list[0] in ("-h", "--help"):
            build_parser().print_help()
            return EXIT_OK
        args = app_parser().parse_args(args_list)
        from cgtui.app import explore

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

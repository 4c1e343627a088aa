"""``cgtui serve [SOURCE]``: serve the explorer to a web browser with textual-serve.

The graph is loaded and checked here first, so a bad SOURCE is an error (exit 2) before
any server starts; each browser session then runs ``python -m cgtui SOURCE ...`` with the
same options. The server listens on localhost unless ``--host`` says otherwise.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from cgtui.commands.common import add_source_arguments, graph_from_args
from cgtui.lang.samples import default_sample


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p, source_optional=True)
    p.add_argument("--output", metavar="NAME", help="the output to differentiate")
    p.add_argument("--host", default="localhost", help="address to listen on (default: localhost)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")


def app_command(args: argparse.Namespace) -> str:
    """The command line each browser session runs."""
    source = args.source if args.source is not None else str(default_sample())
    argv = [sys.executable, "-m", "cgtui", source]
    for option in ("at", "param", "label", "const"):
        for value in getattr(args, option):
            argv += [f"--{option}", value]
    if args.tree:
        argv.append("--tree")
    if args.output:
        argv += ["--output", args.output]
    if source == "-":
        from cgtui.core.errors import CgtuiError

        raise CgtuiError("cgtui serve cannot read standard input; give a file or an expression")
    return shlex.join(argv)


def run(args: argparse.Namespace) -> int:
    from cgtui.core.errors import CgtuiError
    from cgtui.engine.engine import Stepper

    if not 0 < args.port < 65536:
        raise CgtuiError(f"--port must be between 1 and 65535, got {args.port}")
    command = app_command(args)
    graph = graph_from_args(args, default=str(default_sample()))
    Stepper(graph, args.output)  # checks --output

    from textual_serve.server import Server

    print(f"cgtui: serving the explorer at http://{args.host}:{args.port} (ctrl+c stops)", file=sys.stderr)
    title = f"cgtui: {graph.title or args.source or 'explorer'}"
    Server(command, host=args.host, port=args.port, title=title).serve()
    return 0

"""``cgtui export SOURCE --format FMT [-o FILE]``: the graph as YAML, JSON, dot or Mermaid.

The formats are the entries of :data:`cgtui.core.formats.FORMATS`. ``-o`` writes the
file atomically and never replaces an existing one unless ``--force`` is given.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cgtui.core.formats import FORMATS, export


def add_arguments(p: argparse.ArgumentParser) -> None:
    from cgtui.cli import add_source_arguments

    add_source_arguments(p)
    p.add_argument("--format", choices=list(FORMATS), default="yaml", help="output format (default: yaml)")
    p.add_argument("-o", "--output-file", dest="output_file", metavar="FILE", help="write to FILE")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")


def run(args: argparse.Namespace) -> int:
    from cgtui.cli import graph_from_args
    from cgtui.core.yamlio import write_text_atomic

    graph = graph_from_args(args)
    text = export(graph, args.format)
    if args.output_file and args.output_file != "-":
        write_text_atomic(Path(args.output_file), text, overwrite=args.force)
    else:
        print(text, end="")
    return 0

"""``cgtui export SOURCE --format FMT [-o FILE]``: the graph as YAML, JSON, dot or Mermaid.

The formats are the entries of :data:`cgtui.teach.formats.FORMATS`. ``-o`` writes the
file atomically and never replaces an existing one unless ``--force`` is given.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cgtui.commands.common import add_source_arguments, graph_from_args
from cgtui.teach.formats import FORMATS, export


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    p.add_argument("--format", choices=list(FORMATS), default="yaml", help="output format (default: yaml)")
    p.add_argument("-o", "--output-file", dest="output_file", metavar="FILE", help="write to FILE")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")


def run(args: argparse.Namespace) -> int:
    from cgtui.lang.saving import graph_text, origin_dir, repoint_data_file
    from cgtui.lang.yamlio import write_text_atomic

    graph = graph_from_args(args)
    to_file = bool(args.output_file) and args.output_file != "-"
    if args.format == "yaml":
        if to_file:  # a relative data file stays reachable from where the copy is written
            graph = repoint_data_file(graph, origin_dir(graph), Path(args.output_file))
        text = graph_text(graph)  # a file cgtui writes is one it reads back
    else:
        text = export(graph, args.format)
    if to_file:
        write_text_atomic(Path(args.output_file), text, overwrite=args.force)
    else:
        print(text, end="")
    return 0

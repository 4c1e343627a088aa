"""``cgtui export SOURCE --format FMT [-o FILE]``: the graph as YAML, JSON, dot or Mermaid.

The formats are the entries of :data:`cgtui.teach.formats.FORMATS`. ``-o`` writes the
file atomically and never replaces an existing one unless ``--force`` is given.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from cgtui.commands.common import add_source_arguments, graph_from_args
from cgtui.core.graph import Graph
from cgtui.lang.files import YAML_SUFFIXES
from cgtui.teach.formats import FORMATS, export


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    p.add_argument("--format", choices=list(FORMATS), default="yaml", help="output format (default: yaml)")
    p.add_argument("-o", "--output-file", dest="output_file", metavar="FILE", help="write to FILE")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")


def run(args: argparse.Namespace) -> int:
    from cgtui.lang.yamlio import write_text_atomic

    graph = graph_from_args(args)
    to_file = bool(args.output_file) and args.output_file != "-"
    if to_file and args.format == "yaml":
        keep_data_file_reachable(graph, args.source, Path(args.output_file))
    text = export(graph, args.format)
    if to_file:
        write_text_atomic(Path(args.output_file), text, overwrite=args.force)
    else:
        print(text, end="")
    return 0


def keep_data_file_reachable(graph: Graph, source: str | None, out: Path) -> None:
    """A graph file's ``data: {file: points.csv}`` is relative to the file: written
    elsewhere, the copy names the same CSV relative to its own directory."""
    data = graph.extra.get("data")
    if not (source and source.endswith(YAML_SUFFIXES) and isinstance(data, dict)):
        return
    name = data.get("file")
    if not isinstance(name, str) or Path(name).is_absolute():
        return
    target = (Path(source).resolve().parent / name).resolve()
    try:
        rel = os.path.relpath(target, out.resolve().parent)
    except ValueError:  # another drive
        rel = str(target)
    graph.extra["data"] = {**data, "file": Path(rel).as_posix()}

"""Writing a graph file: the one way every command and the explorer save YAML.

* A relative ``data: {file: points.csv}`` is relative to the graph file, so a copy
  written into another folder names the same CSV relative to its own folder.
* A file cgtui writes is a file cgtui reads: YAML larger than the loader's limit is
  refused before anything is written (except for a recovery file, which is written
  whatever its size, so nothing is lost).
* Only regular files are written (see :func:`cgtui.lang.yamlio.write_text_atomic`).
"""

from __future__ import annotations

import os
from pathlib import Path

from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph
from cgtui.lang import files, yamlio


def repoint_data_file(graph: Graph, base_dir: Path | None, out: Path) -> Graph:
    """``graph`` as written to ``out``: a copy whose relative ``data.file`` (relative to
    ``base_dir``, the folder of the file the graph came from) names the same file from
    ``out``'s folder. The graph itself is not changed."""
    data = graph.extra.get("data")
    if base_dir is None or not isinstance(data, dict):
        return graph
    name = data.get("file")
    if not isinstance(name, str) or not name.strip() or Path(name).is_absolute():
        return graph
    target = (base_dir.resolve() / name).resolve()
    try:
        rel = os.path.relpath(target, out.resolve().parent)
    except ValueError:  # another drive
        rel = str(target)
    copy = graph.copy()
    copy.extra["data"] = {**data, "file": Path(rel).as_posix()}
    return copy


def origin_dir(graph: Graph) -> Path | None:
    """The folder of the file the graph was read from (None: typed, or read from stdin)."""
    return graph.origin.parent if graph.origin is not None else None


def graph_text(graph: Graph, *, what: str = "the graph") -> str:
    """The YAML of ``graph``, refused when the loader would refuse it."""
    text = yamlio.dumps(graph)
    size = len(text.encode("utf-8"))
    limit = files.MAX_SOURCE_BYTES  # the loader's limit, read when it is needed
    if size > limit:
        raise CgtuiError(
            f"{what} as YAML would be {size:,} bytes, more than the {limit:,} a graph file "
            "may have, so cgtui could not read it back; nothing was written "
            "(export --format json writes it for other tools)"
        )
    return text


def save_graph(
    graph: Graph,
    path: Path,
    *,
    base_dir: Path | None = None,
    overwrite: bool = False,
    any_size: bool = False,
) -> None:
    """Write ``graph`` as YAML to ``path`` atomically, its data file re-pointed from
    ``base_dir`` (default: the folder the graph was read from). ``any_size`` writes
    even a file too large to read back (a recovery file)."""
    if base_dir is None:
        base_dir = origin_dir(graph)
    copy = repoint_data_file(graph, base_dir, path)
    text = yamlio.dumps(copy) if any_size else graph_text(copy)
    yamlio.write_text_atomic(path, text, overwrite=overwrite)

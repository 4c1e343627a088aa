"""Where a graph comes from: a YAML file, a file of expression text, stdin, or the text itself."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind
from cgtui.lang import yamlio
from cgtui.lang.build import from_expression
from cgtui.lang.files import MAX_SOURCE_BYTES, TEXT_SUFFIXES, YAML_SUFFIXES, path_kind, read_stdin, read_text


def parse_assignments(items: Iterable[str]) -> dict[str, float]:
    """``["x=1,y=2", "b=0.5"]`` -> ``{"x": 1.0, "y": 2.0, "b": 0.5}``."""
    out: dict[str, float] = {}
    for item in items:
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, text = part.partition("=")
            name = name.strip()
            if not sep or not name:
                raise CgtuiError(f"expected NAME=VALUE, got '{part}'")
            if not name.isidentifier():
                raise CgtuiError(f"'{name}' is not a valid name (in '{part}')")
            try:
                value = float(text)
            except ValueError:
                raise CgtuiError(f"the value of '{name}' is not a number: '{text.strip()}'") from None
            if not math.isfinite(value):
                raise CgtuiError(f"the value of '{name}' must be finite, got '{text.strip()}'")
            out[name] = value
    return out


def parse_names(items: Iterable[str]) -> set[str]:
    """``["w,b", "c"]`` -> ``{"w", "b", "c"}``."""
    names: set[str] = set()
    for item in items:
        for part in item.split(","):
            part = part.strip()
            if part:
                if not part.isidentifier():
                    raise CgtuiError(f"'{part}' is not a valid name")
                names.add(part)
    return names


_YAML_START = re.compile(
    r"(---|(title|description|inputs|labels|params|constants|steps|expression|output|data|reduction"
    r"|training|quiz)\s*:)"
)


def looks_like_yaml(text: str) -> bool:
    """Whether text on standard input is a graph file rather than expression text: its
    first line that is not blank or a comment starts a YAML section (the expression
    language has no ':')."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return _YAML_START.match(stripped) is not None
    return False


def load_source(
    source: str,
    *,
    values: Mapping[str, float] | None = None,
    params: Iterable[str] = (),
    labels: Iterable[str] = (),
    consts: Iterable[str] = (),
    inputs: Iterable[str] = (),
    merge: bool = True,
    stdin_text: str | None = None,
) -> Graph:
    """Load SOURCE: a ``.yaml``/``.yml`` graph file, another file of expression text,
    ``-`` for standard input, or expression text itself. Values and kinds given here
    override those in a YAML file."""

    params, labels, consts, inputs = set(params), set(labels), set(consts), set(inputs)
    if source == "-":
        text = stdin_text if stdin_text is not None else read_stdin()
        if len(text.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
            raise CgtuiError(f"standard input is larger than the limit of {MAX_SOURCE_BYTES:,} bytes")
        if looks_like_yaml(text):
            graph = yamlio.loads(text, file="<stdin>", merge=merge)
        else:
            return from_expression(
                text, params=params, labels=labels, consts=consts, values=values, merge=merge, file="<stdin>"
            )
    elif source.endswith(YAML_SUFFIXES):
        path = Path(source)
        if path_kind(source) != "file":
            raise CgtuiError(f"no such file: {source}")
        graph = yamlio.load(path, merge=merge)
    elif path_kind(source) == "dir":
        raise CgtuiError(f"{source} is a directory, not a graph file or an expression")
    elif source.endswith(TEXT_SUFFIXES) and path_kind(source) is None:
        raise CgtuiError(f"no such file: {source}")
    elif path_kind(source) == "file":
        text = read_text(Path(source))
        return from_expression(
            text, params=params, labels=labels, consts=consts, values=values, merge=merge, file=source
        )
    else:
        return from_expression(
            source, params=params, labels=labels, consts=consts, values=values, merge=merge
        )
    # a YAML graph: apply command-line kinds and values on top of the file's
    declared = ((params, Kind.PARAM), (labels, Kind.LABEL), (consts, Kind.CONST), (inputs, Kind.INPUT))
    for names, kind in declared:
        for name in names:
            graph.set_kind(name, kind)
    for name, value in (values or {}).items():
        node = graph.node(name)
        if node.op is not None:
            raise CgtuiError(f"'{name}' is computed by the graph; only leaves take values")
        node.value = float(value)
    return graph

"""Where a graph comes from: a YAML file, a file of expression text, stdin, or the text itself."""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Mapping
from itertools import repeat
from pathlib import Path

from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind
from cgtui.core.numbers import NUMBER, checked_float, shown
from cgtui.lang.build import from_expression
from cgtui.lang.files import MAX_SOURCE_BYTES, TEXT_SUFFIXES, YAML_SUFFIXES, path_kind, read_stdin, read_text
from cgtui.lang.parser import canonical_name

_NON_FINITE = ("inf", "infinity", "nan")


#: The numbers of plain ``--at`` pairs, joined by commas: only what NUMBER is made of (then
#: ``float`` reads exactly what NUMBER matches: no blanks, no '_', no 'inf' or 'nan')
_NUMBER_CHARS = re.compile(r"[0-9.eE+,-]*")


def _plain_assignments(items: list[str]) -> dict[str, float] | None:
    """What :func:`parse_assignments` gives when every item is plain ASCII ``name=number``
    pairs without blanks (100,000 values on a command line), read with loops that run in
    C; or None: then the general loop reads them (and names a problem)."""
    words: list[str] = []  # name, number, name, number...
    for item in items:
        # one '=' per pair (a pair with none and another with two leave a word out of
        # place: a name that is not one, or a number that is not one, below)
        if not item.isascii() or item.count("=") != item.count(",") + 1:
            return None
        words += item.replace("=", ",").split(",")
    names = words[::2]
    texts = ",".join(words[1::2])
    if not all(map(str.isidentifier, names)) or not _NUMBER_CHARS.fullmatch(texts):
        return None
    try:
        numbers = list(map(float, words[1::2]))
    except ValueError:
        return None
    if "-" in texts:
        numbers = list(map(operator.add, numbers, repeat(0.0)))  # -0.0 -> 0.0
    total = sum(numbers)
    if total - total != 0.0:  # an infinite value (or a sum that overflows): the loop says which
        return None
    out = dict(zip(names, numbers, strict=True))
    return out if len(out) == len(names) else None  # a name given twice: the loop says which


def parse_assignments(items: Iterable[str]) -> dict[str, float]:
    """``["x=1,y=2", "b=0.5"]`` -> ``{"x": 1.0, "y": 2.0, "b": 0.5}``."""
    items = list(items)
    plain = _plain_assignments(items)
    if plain is not None:
        return plain
    out: dict[str, float] = {}
    for item in items:
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, text = part.partition("=")
            name = canonical_name(name.strip())
            if not sep or not name:
                raise CgtuiError(f"expected NAME=VALUE, got '{part}'")
            if not name.isidentifier():
                raise CgtuiError(f"'{name}' is not a valid name (in '{part}')")
            if name in out:
                raise CgtuiError(f"'{name}' is given a value twice (in '{shown(part)}')")
            text = text.strip()
            if NUMBER.fullmatch(text):
                number = float(text)
                if number - number == 0.0:  # finite: what checked_float gives, without its message
                    out[name] = number + 0.0
                    continue
            elif text.lower().lstrip("+-") not in _NON_FINITE:
                raise CgtuiError(f"the value of '{name}' is not a number: '{shown(text)}'")
            out[name] = checked_float(text, f"the value of '{name}'")
    return out


def parse_names(items: Iterable[str]) -> set[str]:
    """``["w,b", "c"]`` -> ``{"w", "b", "c"}``."""
    names: set[str] = set()
    for item in items:
        for part in item.split(","):
            part = canonical_name(part.strip())
            if part:
                if not part.isidentifier():
                    raise CgtuiError(f"'{part}' is not a valid name")
                names.add(part)
    return names


def strip_bom(text: str) -> str:
    """Text without the UTF-8 byte order mark some editors write first (YAML accepts it too)."""
    return text[1:] if text.startswith("\ufeff") else text


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


def _refuse_two_kinds(kinds: Mapping[str, set[str]]) -> None:
    """A name given two kinds (``--param x --label x``) is an error, never the last one wins."""
    seen: dict[str, str] = {}
    for kind, names in kinds.items():
        for name in sorted(names):
            if name in seen:
                raise CgtuiError(f"'{name}' is declared both {seen[name]} and {kind}")
            seen[name] = kind


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
    _refuse_two_kinds({"param": params, "label": labels, "const": consts, "input": inputs})
    if source == "-":
        text = strip_bom(stdin_text if stdin_text is not None else read_stdin())
        if len(text.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
            raise CgtuiError(f"standard input is larger than the limit of {MAX_SOURCE_BYTES:,} bytes")
        if looks_like_yaml(text):
            from cgtui.lang import yamlio  # here: expression text never needs YAML's libraries

            graph = yamlio.loads(text, file="<stdin>", merge=merge)
        else:
            return from_expression(
                text, params=params, labels=labels, consts=consts, values=values, merge=merge, file="<stdin>"
            )
    elif source.endswith(YAML_SUFFIXES):
        path = Path(source)
        kind = path_kind(source)
        if kind is None:
            raise CgtuiError(f"no such file: {source}")
        if kind == "dir":
            raise CgtuiError(f"{source} is a directory, not a graph file")
        from cgtui.lang import yamlio

        graph = yamlio.load(path, merge=merge)
    elif path_kind(source) == "dir":
        raise CgtuiError(f"{source} is a directory, not a graph file or an expression")
    elif source.endswith(TEXT_SUFFIXES) and path_kind(source) is None:
        raise CgtuiError(f"no such file: {source}")
    elif path_kind(source) in ("file", "special"):  # read_text refuses a device or a FIFO
        text = strip_bom(read_text(Path(source)))
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

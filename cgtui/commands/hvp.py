"""``cgtui hvp SOURCE --at ... --vector x=1,y=0``: the Hessian times a vector, by
differentiating the backward graph once (the Hessian is never formed). ``--json``::

    {"output": "f", "value": 15, "vector": {"x": 1, "y": 0},
     "gradient": {"x": 8, "y": 3}, "hvp": {"x": 2, "y": 1}}

On a scalar graph it is forward mode over the backward graph (one pass carrying
tangents along the vector). On a tensor graph it is reverse mode over it: the backward
graph with ``s = Σ sum(dL_dx * v_x)`` on top, one reverse pass, whose gradient is ``H v``.
The direction of an array leaf is given in one of three ways (leaves not named are 0)::

    --vector 'W1=[[1, 0], [0, 1]]'   the whole array, as a nested list of its shape
    --vector b1=1                    one number: every entry
    --vector 'U[1,0]=0.5'            one entry (others 0); repeat for more entries

Several go in one ``--vector`` separated by commas outside the brackets, or in several
``--vector`` options. ``--json`` gives arrays as nested lists.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

from cgtui.commands.common import add_source_arguments, dump_json, load
from cgtui.core import arrays
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind
from cgtui.core.lazy import np
from cgtui.core.notation import format_number, inline_value
from cgtui.core.numbers import checked_float, shown
from cgtui.engine.backward_graph import hvp
from cgtui.lang.source import parse_assignments


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    p.add_argument(
        "--vector", action="append", default=[], metavar="NAME=VALUE",
        help="v: x=1,y=0 (others 0); an array leaf: 'W=[[1,0],[0,1]]', W=1 (every entry) or 'W[0,1]=1'",
    )
    p.add_argument("--output", metavar="NAME", help="the output L to differentiate (default: the first)")
    p.add_argument("--json", action="store_true", help="print JSON (full precision)")


def _split(item: str) -> list[str]:
    """``W=[[1,0],[0,1]],b=1`` -> its assignments: commas inside brackets stay."""
    parts: list[str] = []
    depth, start = 0, 0
    for k, ch in enumerate(item):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(item[start:k])
            start = k + 1
    parts.append(item[start:])
    return [p.strip() for p in parts if p.strip()]


_ENTRY = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[([^\]]*)\])?\s*$")


def _number(text: str, what: str) -> float:
    value = checked_float(text.strip(), what)
    if value - value != 0.0:
        raise CgtuiError(f"{what} is not finite: '{shown(text.strip())}'")
    return value


def _array(text: str, name: str, shape: tuple[int, ...]) -> Any:
    what = f"the direction of '{name}'"
    if not text.startswith("["):
        return _number(text, what)
    try:
        data = json.loads(text)
        arr = np.asarray(data, dtype=float)
    except (ValueError, TypeError):
        raise CgtuiError(f"{what} is not a nested list of numbers: '{shown(text)}'") from None
    if arr.shape != shape:
        raise CgtuiError(
            f"{what} has shape {tuple(arr.shape)}; {name} has shape {shape} "
            "(give a nested list of that shape, one number for every entry, or entries as NAME[i,j]=VALUE)"
        )
    if not np.all(np.isfinite(arr)):
        raise CgtuiError(f"{what} has an entry that is not finite")
    return arr


def parse_directions(items: list[str], graph: Graph) -> dict[str, Any]:
    """The direction ``v`` from ``--vector`` options, by leaf: a number or an array of the
    leaf's shape (see the module's text for the forms)."""
    whole: dict[str, Any] = {}
    entries: dict[str, Any] = {}
    for item in items:
        for part in _split(item):
            target, sep, text = part.partition("=")
            m = _ENTRY.fullmatch(target)
            if not sep or m is None:
                raise CgtuiError(f"expected NAME=VALUE or NAME[i,j]=VALUE, got '{shown(part)}'")
            name, index = m.group(1), m.group(2)
            node = graph.node(name)
            if node.op is not None or node.kind is Kind.CONST:
                what = "a constant" if node.op is None else "computed by the graph"
                raise CgtuiError(f"'{name}' is {what}; a direction is given to leaves that are not constants")
            shape = tuple(np.shape(node.value)) if isinstance(node.value, np.ndarray) else ()
            if name in whole or (index is None and name in entries):
                raise CgtuiError(f"'{name}' is given a direction twice (in '{shown(part)}')")
            if index is None:
                whole[name] = _array(text.strip(), name, shape)
                continue
            idx = _index(index, name, shape)
            arr = entries.setdefault(name, np.zeros(shape))
            arr[idx] = _number(text, f"the direction of '{name}[{index}]'")
    return {**whole, **entries}


def _index(text: str, name: str, shape: tuple[int, ...]) -> tuple[int, ...]:
    pieces = [p.strip() for p in text.split(",")] if text.strip() else []
    if not all(p.isdigit() for p in pieces) or len(pieces) != len(shape):
        where = ",".join("i" if k == 0 else "j" if k == 1 else "k" for k in range(len(shape)))
        hint = f"{name}[{where}]" if shape else name
        raise CgtuiError(f"'{name}[{text}]': {name} has shape {shape}; name an entry as {hint}")
    idx = tuple(int(p) for p in pieces)
    for k, (i, n) in enumerate(zip(idx, shape, strict=True)):
        if i >= n:
            raise CgtuiError(f"'{name}[{text}]': index {i} is out of range for axis {k} of length {n}")
    return idx


def run(args: argparse.Namespace) -> int:
    graph, output = load(args)
    if not args.vector:
        raise CgtuiError("no vector given: choose one with --vector, e.g. --vector x=1")
    if graph.has_arrays:
        return _run_tensor(args, graph, output)
    vector = parse_assignments(args.vector)
    r = hvp(graph, vector, output=output)
    full = {name: vector.get(name, 0.0) for name in r.leaves}
    if args.json:
        doc = {
            "output": r.output,
            "value": r.value,
            "vector": full,
            "gradient": dict(zip(r.leaves, r.gradient, strict=True)),
            "hvp": dict(zip(r.leaves, r.product, strict=True)),
        }
        print(json.dumps(doc, indent=2))
        return 0
    L = r.output
    print(f"{L} = {format_number(r.value)}")
    print("v: " + ", ".join(f"{n} = {format_number(v)}" for n, v in full.items()))
    print("H v (forward mode over the backward graph):")
    w = max(len(n) for n in r.leaves)
    for name, value in zip(r.leaves, r.product, strict=True):
        print(f"  {name.ljust(w)}  {format_number(value)}")
    return 0


def _plain(v: Any) -> Any:
    return float(v) if np.ndim(v) == 0 else np.asarray(v, dtype=float).tolist()


def _run_tensor(args: argparse.Namespace, graph: Graph, output: int) -> int:
    L = graph.nodes[output].name
    vector = parse_directions(args.vector, graph)
    r = hvp(graph, vector, output=output)
    full = {}
    for name in r.leaves:
        leaf = graph.node(name).value
        given = vector.get(name, 0.0)
        shape = arrays.shape_of(leaf)
        full[name] = given if not shape else np.broadcast_to(np.asarray(given, dtype=float), shape)
    if args.json:
        doc = {
            "output": r.output,
            "value": _plain(r.value),
            "vector": {n: _plain(v) for n, v in full.items()},
            "gradient": {n: _plain(v) for n, v in zip(r.leaves, r.gradient, strict=True)},
            "hvp": {n: _plain(v) for n, v in zip(r.leaves, r.product, strict=True)},
        }
        print(dump_json(doc))
        return 0
    print(f"{L} = {inline_value(r.value)}")
    w = max(len(n) for n in r.leaves)
    print("v:")
    for name, v in full.items():
        print(f"  {name.ljust(w)}  {inline_value(v)}")
    print("H v (reverse mode over the backward graph, one pass; each in its leaf's shape):")
    for name, value in zip(r.leaves, r.product, strict=True):
        print(f"  {name.ljust(w)}  {inline_value(value)}")
    return 0

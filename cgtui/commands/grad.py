"""``cgtui grad SOURCE --at NAME=VALUE ...``: the output's value and dL/dleaf for every leaf.

Values come from the source (a YAML file's are the defaults) and from ``--at``, which
repeats or takes ``x=1,y=2``. A leaf without a value is an error that names every such
leaf. Text output rounds to 12 significant digits (``0.4``, not ``0.40000000000000036``);
``--json`` keeps full precision::

    {"output": "L", "value": 0.01, "grad": {"w": 0.4, ...}}

and with ``--all`` also ``"nodes": [{"name", "kind", "op", "operands", "value", "partial"},
...]`` (``schemas/grad.schema.json``).

Constants get no gradient; a leaf with no path to the output has gradient 0.
"""

from __future__ import annotations

import argparse
import operator
import sys
from collections.abc import Iterator
from itertools import chain, repeat
from typing import Any

from cgtui.commands.common import add_source_arguments, dump_json, load
from cgtui.core.graph import Graph, Kind
from cgtui.core.lazy import np
from cgtui.core.notation import inline_value, partial_prefix
from cgtui.engine.engine import Gradients, differentiable_leaves, gradients


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    p.add_argument("--output", metavar="NAME", help="the output L to differentiate (default: the first)")
    p.add_argument(
        "--all",
        action="store_true",
        help="also list every intermediate node's value and partial (in JSON: the nodes list)",
    )
    p.add_argument("--json", action="store_true", help="print JSON (full precision)")


def leaf_gradient(result: Gradients, i: int) -> Any:
    """dL/dleaf: a float, or nested lists for an array leaf (zeros where there is no path)."""
    g = result.partials[i]
    if g is None:
        value = result.values[i]
        return 0.0 if type(value) is float or value is None else np.zeros(np.shape(value)).tolist()
    return float(g) if np.ndim(g) == 0 else np.asarray(g, dtype=float).tolist()


def to_json(graph: Graph, result: Gradients, *, show_all: bool = False) -> dict[str, Any]:
    """The JSON of ``schemas/grad.schema.json``: every node only with ``show_all``."""
    def plain(v: Any) -> Any:
        return None if v is None else float(v) if np.ndim(v) == 0 else np.asarray(v, dtype=float).tolist()

    data: dict[str, Any] = {
        "output": result.output,
        "value": plain(result.value),
        "grad": {graph.nodes[i].name: leaf_gradient(result, i) for i in differentiable_leaves(graph)},
    }
    if show_all:
        data["nodes"] = [
            {
                "name": n.name,
                "kind": n.kind.value,
                "op": n.op,
                "operands": [graph.nodes[p].name for p in n.operands],
                "value": plain(result.values[i]),
                "partial": plain(result.partials[i]),
            }
            for i, n in enumerate(graph.nodes)
        ]
    return data


def render(graph: Graph, result: Gradients, *, show_all: bool = False) -> Iterator[str]:
    """The text output, in pieces to write one after the other (100,000 leaves make
    100,000 rows: they are made a block of rows at a time, column by column, in loops
    that run in C, so that only one block's text is held at once)."""
    out = result.output
    yield f"{out} = {inline_value(result.value)}\n"
    ops, kinds = graph.op_list(), graph.kind_list()
    partials = result.partials
    leaves = differentiable_leaves(graph)
    leaf_kinds = list(map(kinds.__getitem__, leaves))
    names = graph.names_of(leaves)  # each row's node (its partial's name, later)
    grads = list(map(partials.__getitem__, leaves))
    if _FLOAT_OR_NONE.issuperset(map(type, grads)) and _FLOAT_OR_NONE.issuperset(
        map(type, map(result.values.__getitem__, leaves))
    ):
        # scalar leaves: the same text as inline_value, each distinct number formatted once
        texts: dict[float | None, str] = dict.fromkeys(grads, "")
        for g in texts:
            texts[g] = inline_value(0.0 if g is None else g)
        numbers = list(map(texts.__getitem__, grads))
    else:
        numbers = [inline_value(leaf_gradient(result, i)) for i in leaves]
    texts_of = {kind: kind.value for kind in Kind}  # (an enum's value is slow to read 100,000 times)
    notes = list(map(texts_of.__getitem__, leaf_kinds))
    if any(map(operator.is_, grads, repeat(None))):  # (not "None in grads": arrays compare by entries)
        no_path = {kind: f"{kind.value}, no path to {out}" for kind in Kind}
        rows = zip(notes, grads, leaf_kinds, strict=True)
        notes = [note if g is not None else no_path[kind] for note, g, kind in rows]
    if show_all:
        for i, (name, op) in enumerate(zip(graph.name_list(), ops, strict=True)):
            partial = partials[i]
            if op is not None and partial is not None and name != out:
                names.append(name)
                numbers.append(inline_value(partial))
                notes.append(f"computation, value {inline_value(result.values[i])}")
    if not names:
        yield f"(no leaf of {out} takes a gradient: every leaf is a constant)\n"
        return
    # each row is NAME = NUMBER   NOTE, the names padded on the right, the numbers on the left
    prefix = partial_prefix(out)
    name_width = len(max(names, key=len))
    number_width = max(map(len, numbers))
    for start in range(0, len(names), _ROWS):
        end = start + _ROWS
        yield "".join(
            chain.from_iterable(
                zip(
                    repeat(prefix),
                    map(str.ljust, names[start:end], repeat(name_width)),
                    repeat(" = "),
                    map(str.rjust, numbers[start:end], repeat(number_width)),
                    repeat("   "),
                    notes[start:end],
                    repeat("\n"),
                )
            )
        )


#: rows of :func:`render`'s text made and written at a time
_ROWS = 4096


_FLOAT_OR_NONE = frozenset((float, type(None)))


def run(args: argparse.Namespace) -> int:
    graph, output = load(args)
    result = gradients(graph, output=graph.names_of([output])[0] if args.output else None)
    if args.json:
        print(dump_json(to_json(graph, result, show_all=args.all)))
    else:
        write = sys.stdout.write
        for piece in render(graph, result, show_all=args.all):
            write(piece)
    return 0

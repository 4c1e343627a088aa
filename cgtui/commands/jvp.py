"""``cgtui jvp SOURCE --at x=3,y=2 --tangent x=1,y=0``: forward mode, one pass.

Each node carries its value and its tangent ``ż = Σ ∂z/∂a · ȧ`` (the op table's local
derivatives, as in reverse mode; a tensor op's Jacobian-vector product); the output's
tangent is the Jacobian-vector product. Leaves not named in ``--tangent`` have tangent 0.
``--steps`` prints the pass node by node with every tangent rule written out. ``--json``::

    {"output": "f", "value": 15, "tangent": {"x": 1, "y": 0}, "jvp": 8}

With several outputs (and no ``--output``): ``"outputs": [...]``, and ``"value"`` and
``"jvp"`` map each output to its number.

On a tensor graph a tangent is an array of its node's shape. ``--wrt W1[0,1]`` seeds one
entry of one leaf (tangent 1 there, 0 everywhere else), so every tangent is
``d(node)/dW1[0,1]``; ``--tangent W1=1`` moves every entry of ``W1`` at once (``W1[0,1]=1``
names one entry there too). In JSON, arrays are nested lists.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from cgtui.commands.common import add_source_arguments, dump_json, graph_from_args
from cgtui.core.errors import CgtuiError
from cgtui.core.lazy import np
from cgtui.core.notation import format_number, inline_value
from cgtui.core.numbers import checked_float
from cgtui.engine.engine import differentiable_leaves
from cgtui.engine.forward import (
    JVP,
    Direction,
    TangentStepper,
    direction_label,
    jvp,
    parse_entry,
    tangent_name,
)
from cgtui.lang.parser import canonical_name


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    p.add_argument(
        "--tangent",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="the direction: a tangent per leaf, x=1,y=0 (leaves not named: 0); an array leaf's "
        "every entry takes the number (W1=1), or name one entry, W1[0,1]=1",
    )
    p.add_argument(
        "--wrt",
        metavar="LEAF",
        help="the direction: tangent 1 for one leaf or one entry of an array leaf, W1[0,1]; "
        "every tangent is then d(node)/d(LEAF)",
    )
    p.add_argument("--output", metavar="NAME", help="only this output (default: every output)")
    p.add_argument(
        "--steps", action="store_true", help="print the pass node by node, each tangent rule in full"
    )
    p.add_argument("--json", action="store_true", help="print JSON (full precision)")


def _split(item: str) -> list[str]:
    """``x=1,W1[0,1]=2`` -> ``["x=1", "W1[0,1]=2"]``: commas inside brackets stay."""
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(item):
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            parts.append(item[start:k])
            start = k + 1
    parts.append(item[start:])
    return [part.strip() for part in parts if part.strip()]


def parse_direction(items: Iterable[str], wrt: str | None = None) -> dict[str, float]:
    """``--tangent`` items and ``--wrt`` as a :data:`Direction`: leaf or entry -> number."""
    out: dict[str, float] = {}
    for item in items:
        for part in _split(item):
            name, sep, text = part.partition("=")
            if not sep or not name.strip():
                raise CgtuiError(f"expected NAME=VALUE or NAME[i,j]=VALUE, got '{part}'")
            key = _key(name)
            if key in out:
                raise CgtuiError(f"'{key}' is given a tangent twice (in '{part}')")
            out[key] = checked_float(text, f"the tangent of '{key}'")
    if wrt is not None:
        key = _key(wrt)
        if key in out:
            raise CgtuiError(f"'{key}' is given by --wrt and by --tangent: choose one")
        out[key] = 1.0
    return out


def _key(text: str) -> str:
    name, index = parse_entry(canonical_name(text.strip()))
    return name if index is None else f"{name}[{','.join(map(str, index))}]"


def run(args: argparse.Namespace) -> int:
    graph = graph_from_args(args)
    direction = parse_direction(args.tangent, args.wrt)
    if not direction:
        raise CgtuiError(
            "no direction given: choose one with --tangent, e.g. --tangent x=1, or --wrt W1[0,1]"
        )
    outputs = [graph.lookup(args.output)] if args.output else list(graph.outputs)
    result = jvp(graph, direction, outputs=outputs)
    if args.json:
        print(dump_json(to_json(graph, result, direction, several=len(outputs) > 1)))
        return 0
    if args.steps:
        stepper = TangentStepper(graph, direction, outputs=outputs)
        for line in stepper.run().lines:
            print(line)
        print()
    label = direction_label(graph, direction)
    if graph.has_arrays:  # the entries given; the rest are zeros
        given = ", ".join(f"{key} = {format_number(t)}" for key, t in direction.items())
        print(f"direction: {given} (every other leaf and entry: 0)")
    else:
        given = ", ".join(f"{graph.nodes[i].name} = {_text(result.seeds[i])}" for i in _leaves(graph))
        print(f"direction: {given}")
    for out in outputs:
        name = graph.nodes[out].name
        print(f"{name} = {_text(result.values[out])}")
        print(f"{tangent_name(name, label)} = {_text(result.tangent(out))}   (the jvp)")
    return 0


def _text(v: Any) -> str:
    return format_number(float(v or 0.0)) if np.ndim(v) == 0 else inline_value(v)


def _leaves(graph: Any) -> list[int]:
    return differentiable_leaves(graph)


def _json(v: Any) -> Any:
    """A number, or an array as nested lists."""
    return float(v or 0.0) if np.ndim(v) == 0 else np.asarray(v, dtype=float).tolist()


def to_json(graph: Any, result: JVP, direction: Direction, *, several: bool) -> dict[str, Any]:
    tangent = {graph.nodes[i].name: _json(result.seeds[i]) for i in _leaves(graph)}
    if not several:
        out = result.outputs[0]
        return {
            "output": graph.nodes[out].name,
            "value": _json(result.values[out]),
            "tangent": tangent,
            "jvp": _json(result.tangent(out)),
        }
    names = [graph.nodes[i].name for i in result.outputs]
    return {
        "outputs": names,
        "value": {graph.nodes[i].name: _json(result.values[i]) for i in result.outputs},
        "tangent": tangent,
        "jvp": {graph.nodes[i].name: _json(result.tangent(i)) for i in result.outputs},
    }

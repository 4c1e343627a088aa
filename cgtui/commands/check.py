"""``cgtui check SOURCE [--at ...]``: backprop against central differences, for every leaf.

Each leaf v (constants aside) is nudged by ±h, the forward pass is run again, and
``(L(v + h) - L(v - h)) / 2h`` is set beside backprop's ``dL/dv`` with the relative error
``|a - n| / max(|a|, |n|)``. A row agrees when that error is below 1e-5 or the two differ by
less than the rounding noise of the difference itself. At a kink (relu or abs at exactly
0) the two disagree by design: cgtui takes the derivative there as 0, while a nudge that
carries the kink's input across 0 averages the slopes of its two sides. Such a row says
``kink`` and names the kink it crossed: the check is inconclusive there, not failed. Class
indices (the labels of ``cross_entropy``) are not differentiable, and a row of probabilities
nudged in one entry no longer sums to 1: their row says so and no nudge is made.

The table says whether every leaf agrees; the exit status is 0 either way (2 for bad
input, 3 for a numerical fault in the passes themselves). On big graphs (past
:data:`WORK_BUDGET` node evaluations) it checks evenly spread leaves and says how many;
``--leaves N`` sets the number.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass
from typing import Any

from cgtui.commands.common import add_source_arguments, dump_json, load
from cgtui.core.errors import CgtuiError, NumericalFault, name_list
from cgtui.core.graph import Graph
from cgtui.core.lazy import np
from cgtui.core.notation import format_number, partial_name
from cgtui.core.numbers import checked_float
from cgtui.engine.engine import (
    backward,
    differentiable_leaves,
    forward,
    grad_check,
    grad_check_entries,
    leaf_values,
)

RELATIVE_TOLERANCE = 1e-5
#: Each nudge re-runs the leaf's descendants twice, so checking every leaf of a
#: 100,000-term sum is quadratic (hours). Past this many node evaluations (an estimate:
#: the nodes between a leaf and the output) the check takes evenly spread leaves.
WORK_BUDGET = 2_000_000
KINK_OPS = ("relu", "abs", "step", "sign")


@dataclass
class Row:
    name: str
    kind: str
    value: float
    backprop: float
    numeric: float | None
    relative_error: float | None
    h: float
    agrees: bool
    problem: str | None = None
    #: The kinks the nudge carried across 0 (``H = relu(v2) at [0, 84]``), when the row
    #: disagrees because of them.
    kinks: list[str] | None = None


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    p.add_argument("--output", metavar="NAME", help="the output L (default: the graph's first)")
    p.add_argument("--h", type=_step, metavar="H", help="the nudge (default: 1e-6 * max(1, |v|) per leaf)")
    p.add_argument(
        "--leaves",
        type=int,
        metavar="N",
        help="check N leaves, evenly spread (default: all of them, or as many as a few seconds allow)",
    )
    p.add_argument("--json", action="store_true", help="print JSON (full precision)")


#: The range of ``--h``.
MIN_H = 1e-12
MAX_H = 1e3


def _step(text: str) -> float:
    return checked_float(text, "--h")


def choose_leaves(leaves: list[int], output: int, limit: int | None = None) -> list[int]:
    """All leaves, or ``limit`` of them (by default as many as :data:`WORK_BUDGET` allows),
    evenly spread through the graph's order; always at least one."""
    if limit is None:
        work = sum(max(output - i, 1) for i in leaves)
        if work <= WORK_BUDGET:
            return leaves
        limit = max(1, len(leaves) * WORK_BUDGET // work)
    if limit >= len(leaves):
        return leaves
    if limit == 1:
        return leaves[:1]
    step = (len(leaves) - 1) / (limit - 1)
    return sorted({leaves[round(k * step)] for k in range(limit)})


def check_rows(
    graph: Graph, output: int, h: float | None = None, leaves: list[int] | None = None
) -> list[Row]:
    values = leaf_values(graph)
    vals = forward(graph, values)
    partials = backward(graph, vals, output)
    scale = max(1.0, abs(float(vals[output])))
    rows: list[Row] = []
    for i in differentiable_leaves(graph) if leaves is None else leaves:
        node = graph.nodes[i]
        partial = partials[i]
        if cross_entropy_labels(graph, i):
            rows.append(Row(node.name, node.kind.value, 0.0, 0.0, None, None, 0.0, True, None, None))
            continue
        if np.ndim(vals[i]) > 0 and graph.has_arrays:
            rows.append(_array_row(graph, i, values, vals, partials, output, h))
            continue
        analytic = 0.0 if partial is None else float(partial)
        value = float(vals[i])
        step = h if h is not None else 1e-6 * max(1.0, abs(value))
        try:
            passes = (vals, partials)
            # h=None lets the check shrink its step near the edge of a domain (log at 1e-9)
            a, numeric, rel, used = grad_check(graph, node.name, values, output, h, passes=passes)
        except NumericalFault as fault:
            rows.append(Row(node.name, node.kind.value, value, analytic, None, None, step, False, str(fault)))
            continue
        noise = 1e-15 * scale / used * 100  # rounding in L(v+h) - L(v-h), with room to spare
        agrees = rel < RELATIVE_TOLERANCE or abs(a - numeric) <= max(noise, 1e-12)
        crossed = None if agrees else crossed_kinks(graph, values, i, (), used, output)
        rows.append(Row(node.name, node.kind.value, value, a, numeric, rel, used, agrees, None, crossed))
    return rows


def cross_entropy_labels(graph: Graph, i: int) -> bool:
    """Whether leaf ``i`` is used only as the labels of ``cross_entropy``: class indices,
    which have no derivative, or rows of probabilities, which a nudge of one entry takes
    off the rows' sum of 1 (out of the op's domain)."""
    uses = graph.successors(i)
    return bool(uses) and all(graph.nodes[s].op == "cross_entropy" and slot == 1 for s, slot in uses)


def crossed_kinks(
    graph: Graph, values: list[Any], i: int, k: tuple[int, ...], h: float, output: int
) -> list[str] | None:
    """The inputs of kinks (``relu(v)`` and the like, up to the output) that change sign
    between leaf ``i`` (entry ``k`` of an array) nudged by ``+h`` and by ``-h``: there the
    central difference straddles two slopes. None when the nudge crosses none."""
    trials = []
    for sign in (1.0, -1.0):
        trial = list(values)
        if k:
            moved = np.array(values[i], dtype=float)
            moved[k] += sign * h
            trial[i] = moved
        else:
            trial[i] = float(values[i]) + sign * h
        try:
            trials.append(forward(graph, trial))
        except NumericalFault:
            return None
    up, down = trials
    found = []
    for node in graph.nodes[: output + 1]:
        if node.op not in KINK_OPS:
            continue
        a = node.operands[0]
        flips = np.argwhere(np.atleast_1d(np.sign(up[a]) != np.sign(down[a])))
        if flips.size:
            name = graph.nodes[a].name
            at = f"[{', '.join(map(str, flips[0].tolist()))}]" if np.ndim(up[a]) else ""
            found.append(f"{name}{at} (the input of {node.name} = {node.op}({name}))")
    return found or None


def _array_row(
    graph: Graph, i: int, values: list[Any], vals: list[Any], partials: list[Any], output: int,
    h: float | None,
) -> Row:
    """An array leaf's row: its worst entry (``W1[1, 0]``) of those nudged."""
    node = graph.nodes[i]
    step = h if h is not None else 1e-6
    try:
        k, a, numeric, rel, used = grad_check_entries(graph, i, vals, partials[i], output, h)
    except NumericalFault as fault:
        return Row(node.name, node.kind.value, 0.0, 0.0, None, None, step, False, str(fault))
    scale = max(1.0, abs(float(vals[output])))
    noise = 1e-15 * scale / used * 100
    agrees = rel < RELATIVE_TOLERANCE or abs(a - numeric) <= max(noise, 1e-12)
    name = f"{node.name}[{', '.join(map(str, k))}]"
    crossed = None if agrees else crossed_kinks(graph, values, i, k, used, output)
    return Row(name, node.kind.value, float(vals[i][k]), a, numeric, rel, used, agrees, None, crossed)


def kinks(graph: Graph, output: int) -> list[str]:
    """Nodes like relu(v) with v exactly 0, where the derivative is 0 by definition."""
    vals = forward(graph, leaf_values(graph))
    found = []
    for i, node in enumerate(graph.nodes):
        if node.op in KINK_OPS and i <= output and np.any(np.asarray(vals[node.operands[0]]) == 0):
            found.append(f"{node.name} = {node.op}({graph.nodes[node.operands[0]].name}) at 0")
    return found


def status(r: Row) -> str:
    """A row's verdict: ok, kink (inconclusive), MISMATCH, fault, or - (not nudged)."""
    if r.numeric is None and r.problem is None:
        return "-"
    if r.agrees:
        return "ok"
    if r.kinks:
        return "kink"
    return "fault" if r.problem else "MISMATCH"


def row_notes(r: Row) -> list[str]:
    """What a row's table cells cannot say: its fault, the kink it crossed, or why it was
    not nudged."""
    if r.problem:
        return [r.problem]
    if r.kinks:
        return [
            f"the nudge moves {name_list(r.kinks)} across 0, where cgtui takes the kink's derivative "
            "as 0 and a central difference averages its two sides: inconclusive, not wrong"
        ]
    if status(r) == "-":
        return [
            "the labels of cross_entropy are not nudged (class indices have no derivative; a row of "
            "probabilities must keep its sum of 1)"
        ]
    return []


def render_text(graph: Graph, output: int, rows: list[Row], total: int | None = None) -> str:
    from rich.console import Console
    from rich.table import Table

    out = graph.nodes[output].name
    if not rows:
        return "no leaf takes a gradient (every leaf is a constant)\n"
    title = f"gradient check of {partial_name(out, 'leaf')}"
    table = Table(title=title, title_justify="left", box=None, pad_edge=False)
    for header, justify in (
        ("leaf", "left"), ("kind", "left"), ("value", "right"),
        (f"backprop {partial_name(out, 'v')}", "right"),
        ("central difference", "right"), ("relative error", "right"), ("h", "right"), ("", "left"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        nudged = status(r) != "-"
        table.add_row(
            r.name,
            r.kind,
            format_number(r.value) if nudged else "-",
            format_number(r.backprop) if nudged else "-",
            "-" if r.numeric is None else format_number(r.numeric),
            "-" if r.relative_error is None else f"{r.relative_error:.1e}",
            "-" if r.numeric is None and r.problem is None else f"{r.h:.0e}",
            status(r),
        )
    console = Console(highlight=False, width=120, force_terminal=False, color_system=None)
    with console.capture() as capture:
        console.print(table)
    lines = [line.rstrip() for line in capture.get().rstrip().splitlines()]
    for r in rows:
        lines += [f"{r.name}: {note}" for note in row_notes(r)]
    if total is not None and total > len(rows):
        lines.append(
            f"checked {len(rows):,} of {total:,} leaves, evenly spread (--leaves {total} checks "
            "every one; each nudge re-runs the graph below the leaf)"
        )
    bad = [r for r in rows if not r.agrees and not r.kinks]
    at_kinks = [r.name for r in rows if r.kinks]
    if not bad:
        lines.append("the leaf agrees" if len(rows) == 1 else f"all {len(rows)} leaves agree")
        if at_kinks:
            agree = len(rows) - len(at_kinks)
            lines[-1] = f"{agree} of {len(rows)} leaves agree; at a kink: {name_list(at_kinks)}"
    else:
        what = "the leaf disagrees" if len(rows) == 1 else f"{len(bad)} of {len(rows)} leaves disagree"
        lines.append(f"{what}: {name_list([r.name for r in bad])}")
        for k in kinks(graph, output):
            lines.append(f"  kink: {k} (cgtui takes the derivative there as 0, a central difference may not)")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    if args.h is not None and not MIN_H <= args.h <= MAX_H:
        raise CgtuiError(
            f"--h must be a positive number from {MIN_H:g} to {MAX_H:g}, got {args.h:g} "
            "(a smaller step drowns in rounding, a larger one measures a secant, not a slope)"
        )
    if args.leaves is not None and args.leaves < 1:
        raise CgtuiError(f"--leaves must be 1 or more, got {args.leaves}")
    graph, output = load(args)
    every = differentiable_leaves(graph)
    chosen = choose_leaves(every, output, args.leaves)
    rows = check_rows(graph, output, args.h, chosen)
    if args.json:
        data = {
            "output": graph.nodes[output].name,
            "leaves_total": len(every),
            "leaves": [asdict(r) | {"status": status(r)} for r in rows],
        }
        print(dump_json(data))
    else:
        print(render_text(graph, output, rows, len(every)), end="")
    return 0

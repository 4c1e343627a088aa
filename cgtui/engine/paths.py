"""The chain rule as a sum over paths, and what it costs.

For a node ``v`` and the output ``L``, ``dL/dv`` is the sum, over every path from ``v`` to
``L``, of the product of the local derivatives along the path. Everything here is dynamic
programming over the topological order, so nothing recurses and nothing enumerates more
than it must:

* :func:`count_paths` counts paths exactly with Python integers (3^200 is fine) while they
  fit in :data:`EXACT_BITS` bits, then to :data:`COUNT_DIGITS` significant digits (a
  :class:`~decimal.Decimal` of any size): exact counts for every node of a 100,000-level
  ladder took memory that grows with levels² (6-8 GB);
* :func:`top_paths` finds the K paths with the largest ``|product|`` without listing the
  rest (a path in v's top K continues through a path in its next node's top K);
* :func:`path_sum` gives the total over all paths, which must equal backprop's partial;
* :func:`costs` compares multiplications by enumerating paths with those of backprop.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, localcontext
from operator import itemgetter
from typing import Any

from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph
from cgtui.core.ops import OPS
from cgtui.engine.engine import local_derivative

#: The most paths :func:`top_paths` lists: each node keeps up to K candidates, so the work
#: is K times the graph (K = 10^9 on the diamond ladder never finished).
MAX_TOP = 10_000

#: Each node keeps at most this many candidate paths in all (K x nodes between v and L):
#: --top 10,000 on a ladder of 700 levels held 21 million candidates (3.9 GB).
CANDIDATE_BUDGET = 250_000

#: Counts stay exact Python integers up to this many bits (about 617 digits) ...
EXACT_BITS = 2048
#: ... and past that are decimals of this many significant digits, of any size.
COUNT_DIGITS = 28
COUNTING = Context(prec=COUNT_DIGITS, Emax=MAX_EMAX, Emin=MIN_EMIN)

#: A count of paths, multiplications or tree nodes: exact (int) while small, else rounded.
Count = int | Decimal

#: How often (in nodes) the long loops ask whether they should stop.
CHECK_EVERY = 2048

Value = Any


class Cancelled(Exception):
    """A computation was stopped by its ``cancel`` callback (a worker the user left)."""


def bounded(n: Count) -> Count:
    """``n`` itself while it is small, else rounded to :data:`COUNT_DIGITS` digits."""
    if type(n) is int and n.bit_length() > EXACT_BITS:
        return COUNTING.create_decimal(n)
    return n


def is_exact(n: Count) -> bool:
    """Whether a count is exact (it never went past :data:`EXACT_BITS` bits)."""
    return isinstance(n, int)


def checker(cancel: Callable[[], bool] | None) -> Callable[[int], None]:
    """``check(i)``: raises :class:`Cancelled` every :data:`CHECK_EVERY` steps once
    ``cancel()`` is true."""
    if cancel is None:
        return lambda i: None

    def check(i: int) -> None:
        if i % CHECK_EVERY == 0 and cancel():
            raise Cancelled

    return check


@dataclass
class Path:
    nodes: list[int]  # v ... L
    slots: list[int]  # the operand slot of each edge (nodes[k] feeds nodes[k+1] at slots[k])
    factors: list[float]  # local derivative of each edge
    product: float


@dataclass
class PathReport:
    source: int
    output: int
    count: Count  # number of paths (exact while small, see is_exact)
    paths: list[Path]  # the top K by |product|
    total: float  # sum over all paths
    rest_count: Count  # paths not listed
    rest_sum: float  # their contribution
    asked: int = 0  # the K asked for; more than len(paths) when the budget cut it


def listed_within_budget(k: int, nodes: int) -> int:
    """How many paths :func:`top_paths` keeps per node: K, or fewer so that K times the
    nodes between v and L stays within :data:`CANDIDATE_BUDGET` (at least 1)."""
    if k <= 0:
        return 0
    return max(1, min(k, CANDIDATE_BUDGET // max(nodes, 1)))


@dataclass
class Cost:
    paths: Count
    enumeration_multiplications: Count  # one product per path: (length - 1) each
    enumeration_additions: Count  # paths - 1
    backprop_multiplications: int  # one per edge between v and L
    backprop_edges: int


def _between(graph: Graph, source: int, output: int) -> list[bool]:
    """Nodes on some path from ``source`` to ``output``."""
    n = len(graph.nodes)
    down = [False] * n
    down[source] = True
    for i in range(source + 1, output + 1):
        if any(down[p] for p in graph.nodes[i].operands):
            down[i] = True
    up = [False] * n
    up[output] = True
    for i in range(output, source - 1, -1):
        if up[i]:
            for p in graph.nodes[i].operands:
                up[p] = True
    return [d and u for d, u in zip(down, up, strict=True)]


def _local_edges_out(
    graph: Graph,
    values: Sequence[Value],
    mask: list[bool],
    source: int,
    output: int,
    check: Callable[[int], None],
) -> list[list[tuple[int, int, float]]]:
    """For each node in ``mask``, its edges to successors in ``mask``: (successor, slot,
    local derivative; NaN where it is undefined). Float values take the op table's rule
    directly; anything else (or a rule with a domain) goes through :func:`local_derivative`."""
    out: list[list[tuple[int, int, float]]] = [[] for _ in graph.nodes]
    nodes = graph.nodes
    for i in range(source, output + 1):
        check(i)
        node = nodes[i]
        if not mask[i] or node.op is None:
            continue
        partials = OPS[node.op].partials
        args = [values[p] for p in node.operands]
        args.append(values[i])
        scalar = all(type(a) is float for a in args)
        for slot, p in enumerate(node.operands):
            if not mask[p]:
                continue
            d: Any = None
            rule = partials[slot]
            if scalar and rule.domain is None:
                try:
                    d = rule.rule(*args)
                except (ArithmeticError, ValueError):
                    d = None
                if type(d) is not float or d - d != 0.0:
                    d = None
            if d is None:
                d, _ = local_derivative(graph, i, slot, values)
            out[p].append((i, slot, float("nan") if d is None else float(d)))
    return out


def count_paths(
    graph: Graph, source: int, output: int, *, cancel: Callable[[], bool] | None = None
) -> Count:
    """The number of paths from ``source`` to ``output`` (0 if there are none)."""
    if source > output:
        return 0
    if source == output:
        return 1
    check = checker(cancel)
    count: list[Count] = [0] * len(graph.nodes)
    count[output] = 1
    with localcontext(COUNTING):
        for i in range(output, source - 1, -1):
            check(i)
            c = count[i]
            if c:
                for p in graph.nodes[i].operands:
                    if p >= source:
                        count[p] = bounded(count[p] + c)
    return count[source]


def path_counts_to(graph: Graph, output: int, *, cancel: Callable[[], bool] | None = None) -> list[Count]:
    """For every node, the number of paths from it to ``output``."""
    check = checker(cancel)
    count: list[Count] = [0] * len(graph.nodes)
    count[output] = 1
    with localcontext(COUNTING):
        for i in range(output, -1, -1):
            check(i)
            c = count[i]
            if c:
                for p in graph.nodes[i].operands:
                    count[p] = bounded(count[p] + c)
    return count


def costs(graph: Graph, source: int, output: int, *, cancel: Callable[[], bool] | None = None) -> Cost:
    """Multiplications to get dL/dsource by enumerating paths versus by backprop."""
    if source > output:
        return Cost(0, 0, 0, 0, 0)
    check = checker(cancel)
    mask = _between(graph, source, output)
    count: list[Count] = [0] * len(graph.nodes)
    length: list[Count] = [0] * len(graph.nodes)  # total edges over all paths from i to output
    count[output] = 1
    edges = 0
    with localcontext(COUNTING):
        for i in range(output, source - 1, -1):
            check(i)
            if not mask[i] or not count[i]:
                continue
            for p in graph.nodes[i].operands:
                if mask[p]:
                    edges += 1
                    count[p] = bounded(count[p] + count[i])
                    length[p] = bounded(length[p] + length[i] + count[i])
        paths = count[source]
        mults = max(length[source] - paths, 0)
        return Cost(paths, mults, max(paths - 1, 0), edges, edges)


def top_paths(
    graph: Graph,
    values: Sequence[Value],
    source: int,
    output: int,
    k: int = 5,
    *,
    cancel: Callable[[], bool] | None = None,
) -> PathReport:
    """The K paths with the largest |product| of local derivatives, the count and the total.

    ``values`` are the forward values. A path in ``v``'s top K goes on through a path in
    its next node's top K, so the lists are built from the output back, K per node; K is
    lowered so that the lists hold at most :data:`CANDIDATE_BUDGET` entries in all (the
    report's ``asked`` keeps the K asked for). ``cancel``, checked as it goes, stops it.
    """
    if not 0 <= k <= MAX_TOP:
        raise CgtuiError(f"the number of paths to list must be from 0 to {MAX_TOP:,}, got {k:,}")
    asked = k
    if source == output:
        return PathReport(source, output, 1, [Path([source], [], [], 1.0)], 1.0, 0, 0.0, asked)
    if source > output:
        return PathReport(source, output, 0, [], 0.0, 0, 0.0, asked)
    check = checker(cancel)
    mask = _between(graph, source, output)
    k = listed_within_budget(k, sum(mask))
    n = len(graph.nodes)
    succs = _local_edges_out(graph, values, mask, source, output, check)
    # best[i]: up to k (|product|, product, next node, slot, rank in next's list, local
    # derivative), largest first
    best: list[list[tuple[float, float, int, int, int, float]]] = [[] for _ in range(n)]
    total = [0.0] * n
    count: list[Count] = [0] * n
    best[output] = [(1.0, 1.0, -1, -1, -1, 1.0)] if k else []
    total[output] = 1.0
    count[output] = 1
    first = itemgetter(0)
    with localcontext(COUNTING):
        for i in range(output - 1, source - 1, -1):
            check(i)
            if not mask[i]:
                continue
            edges = succs[i]
            t = 0.0
            c: Count = 0
            for s, _, d in edges:
                t += d * total[s]
                c += count[s]
            total[i] = t
            count[i] = bounded(c)
            candidates = [
                (abs(product := d * entry[1]), product, s, slot, rank, d)
                for s, slot, d in edges
                for rank, entry in enumerate(best[s])
            ]
            # one successor: its list times d is already in order (|d·p| follows |p|)
            best[i] = candidates if len(edges) == 1 else heapq.nlargest(k, candidates, key=first)
    paths: list[Path] = []
    for entry in best[source]:
        nodes = [source]
        slots: list[int] = []
        factors: list[float] = []
        cur_entry = entry
        cur = source
        while cur != output:
            _, _, s, slot, rank, d = cur_entry
            slots.append(slot)
            factors.append(d)
            nodes.append(s)
            cur = s
            cur_entry = best[s][rank]
        paths.append(Path(nodes, slots, factors, entry[1]))
    listed = sum(p.product for p in paths)
    with localcontext(COUNTING):
        rest = count[source] - len(paths)
    rest_sum = total[source] - listed
    return PathReport(source, output, count[source], paths, total[source], rest, rest_sum, asked)


def path_sum(graph: Graph, values: Sequence[Value], source: int, output: int) -> float:
    return top_paths(graph, values, source, output, k=0).total

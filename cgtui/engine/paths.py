"""The chain rule as a sum over paths, and what it costs.

For a node ``v`` and the output ``L``, ``dL/dv`` is the sum, over every path from ``v`` to
``L``, of the product of the local derivatives along the path. Everything here is dynamic
programming over the topological order, so nothing recurses and nothing enumerates more
than it must:

* :func:`count_paths` counts paths exactly with Python integers (3^200 is fine);
* :func:`top_paths` finds the K paths with the largest ``|product|`` without listing the
  rest (a path in v's top K continues through a path in its next node's top K);
* :func:`path_sum` gives the total over all paths, which must equal backprop's partial;
* :func:`costs` compares multiplications by enumerating paths with those of backprop.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph
from cgtui.engine.engine import local_derivative

#: The most paths :func:`top_paths` lists: each node keeps up to K candidates, so the work
#: is K times the graph (K = 10^9 on the diamond ladder never finished).
MAX_TOP = 10_000

Value = Any


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
    count: int  # exact number of paths
    paths: list[Path]  # the top K by |product|
    total: float  # sum over all paths
    rest_count: int  # paths not listed
    rest_sum: float  # their contribution


@dataclass
class Cost:
    paths: int
    enumeration_multiplications: int  # one product per path: (length - 1) each
    enumeration_additions: int  # paths - 1
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


def _edges_out(graph: Graph, mask: list[bool]) -> list[list[tuple[int, int]]]:
    out: list[list[tuple[int, int]]] = [[] for _ in graph.nodes]
    for i, node in enumerate(graph.nodes):
        if mask[i]:
            for slot, p in enumerate(node.operands):
                if mask[p]:
                    out[p].append((i, slot))
    return out


def count_paths(graph: Graph, source: int, output: int) -> int:
    """The exact number of paths from ``source`` to ``output`` (0 if there are none)."""
    if source > output:
        return 0
    if source == output:
        return 1
    count = [0] * len(graph.nodes)
    count[output] = 1
    for i in range(output, source - 1, -1):
        c = count[i]
        if c:
            for p in graph.nodes[i].operands:
                if p >= source:
                    count[p] += c
    return count[source]


def path_counts_to(graph: Graph, output: int) -> list[int]:
    """For every node, the exact number of paths from it to ``output``."""
    count = [0] * len(graph.nodes)
    count[output] = 1
    for i in range(output, -1, -1):
        c = count[i]
        if c:
            for p in graph.nodes[i].operands:
                count[p] += c
    return count


def costs(graph: Graph, source: int, output: int) -> Cost:
    """Multiplications to get dL/dsource by enumerating paths versus by backprop."""
    if source > output:
        return Cost(0, 0, 0, 0, 0)
    mask = _between(graph, source, output)
    count = [0] * len(graph.nodes)
    length = [0] * len(graph.nodes)  # total edges over all paths from i to output
    count[output] = 1
    edges = 0
    for i in range(output, source - 1, -1):
        if not mask[i] or not count[i]:
            continue
        for p in graph.nodes[i].operands:
            if mask[p]:
                edges += 1
                count[p] += count[i]
                length[p] += length[i] + count[i]
    paths = count[source]
    mults = max(length[source] - paths, 0)
    return Cost(paths, mults, max(paths - 1, 0), edges, edges)


def top_paths(
    graph: Graph, values: Sequence[Value], source: int, output: int, k: int = 5
) -> PathReport:
    """The K paths with the largest |product| of local derivatives, the count and the total.

    ``values`` are the forward values. A path in ``v``'s top K goes on through a path in
    its next node's top K, so the lists are built from the output back, K per node.
    """
    if not 0 <= k <= MAX_TOP:
        raise CgtuiError(f"the number of paths to list must be from 0 to {MAX_TOP:,}, got {k:,}")
    if source == output:
        return PathReport(source, output, 1, [Path([source], [], [], 1.0)], 1.0, 0, 0.0)
    if source > output:
        return PathReport(source, output, 0, [], 0.0, 0, 0.0)
    mask = _between(graph, source, output)
    n = len(graph.nodes)
    # local derivative of each edge on the subgraph
    local: dict[tuple[int, int], float] = {}
    for i in range(source, output + 1):
        if mask[i] and graph.nodes[i].op is not None:
            for slot, p in enumerate(graph.nodes[i].operands):
                if mask[p]:
                    d, _ = local_derivative(graph, i, slot, values)
                    local[(i, slot)] = float("nan") if d is None else float(d)
    # best[i]: up to k (|product|, product, next node, slot, rank in next's list)
    best: list[list[tuple[float, float, int, int, int]]] = [[] for _ in range(n)]
    total = [0.0] * n
    count = [0] * n
    best[output] = [(1.0, 1.0, -1, -1, -1)]
    total[output] = 1.0
    count[output] = 1
    succs = _edges_out(graph, mask)
    for i in range(output - 1, source - 1, -1):
        if not mask[i]:
            continue
        candidates: list[tuple[float, float, int, int, int]] = []
        for s, slot in succs[i]:
            d = local[(s, slot)]
            total[i] += d * total[s]
            count[i] += count[s]
            for rank, entry in enumerate(best[s]):
                product = d * entry[1]
                candidates.append((abs(product), product, s, slot, rank))
        best[i] = heapq.nlargest(k, candidates, key=lambda t: t[0])
    paths: list[Path] = []
    for entry in best[source]:
        nodes = [source]
        slots: list[int] = []
        factors: list[float] = []
        cur_entry = entry
        cur = source
        while cur != output:
            _, _, s, slot, rank = cur_entry
            slots.append(slot)
            factors.append(local[(s, slot)])
            nodes.append(s)
            cur = s
            cur_entry = best[s][rank]
        paths.append(Path(nodes, slots, factors, entry[1]))
    listed = sum(p.product for p in paths)
    return PathReport(
        source,
        output,
        count[source],
        paths,
        total[source],
        count[source] - len(paths),
        total[source] - listed,
    )


def path_sum(graph: Graph, values: Sequence[Value], source: int, output: int) -> float:
    return top_paths(graph, values, source, output, k=0).total

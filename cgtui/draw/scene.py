"""What to draw: the items (boxes) and edges of a drawing, for the whole graph or for the
neighbourhood of one node.

An :class:`Item` is one box: a graph node, or a *stub* standing for a node outside the
neighbourhood (so the reader sees where the rest of the graph connects), or a *more* stub
standing for several such nodes at once. Every edge is one operand slot, so ``x*x`` gives
two edges from ``x`` into the product. Items are kept in topological order (every operand
before its result), which is what the layering needs.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from cgtui.core.graph import Graph

#: above this many nodes the explorer draws a neighbourhood instead of the whole graph
FULL_LIMIT = 300


@dataclass(frozen=True, slots=True)
class Item:
    node: int  # graph node index; for a "more" stub, the node it hangs from
    stub: bool = False  # outside the neighbourhood: drawn small, dashed
    more: int = 0  # > 0: a stub standing for this many nodes
    up: bool = True  # for a "more" stub: operands (True) or results (False) of `node`


@dataclass(frozen=True, slots=True)
class Edge:
    src: int  # item index of the operand
    dst: int  # item index of the result
    slot: int  # operand slot of the result (-1 for an edge to or from a "more" stub)


@dataclass
class Scene:
    graph: Graph
    items: list[Item]
    edges: list[Edge]
    centre: int | None = None  # the node a neighbourhood is centred on
    k: int = 0
    truncated: bool = False  # the neighbourhood hit its node limit before distance k
    item_of: dict[int, int] = field(default_factory=dict)  # node -> item of its full box

    def __post_init__(self) -> None:
        if not self.item_of:
            self.item_of = {it.node: n for n, it in enumerate(self.items) if not it.stub and not it.more}

    @property
    def partial(self) -> bool:
        """True when this is a neighbourhood, not the whole graph."""
        return self.centre is not None


def full_scene(graph: Graph) -> Scene:
    """Every node once and every operand slot as an edge."""
    items = [Item(i) for i in range(len(graph.nodes))]
    edges = [Edge(p, i, slot) for p, i, slot in graph.edges()]
    return Scene(graph, items, edges)


def neighbourhood_scene(
    graph: Graph, centre: int, k: int = 2, *, max_nodes: int = 120, max_stubs: int = 3
) -> Scene:
    """The nodes within ``k`` edges of ``centre`` upwards (operands) and downwards
    (results), at most ``max_nodes`` of them, nearest first; each edge leaving that set
    ends in a stub naming the node outside (more than ``max_stubs`` per node and
    direction are gathered into one "+N" stub). Costs time in the size of the
    neighbourhood, not of the graph."""
    if not 0 <= centre < len(graph.nodes):
        raise IndexError(f"no node {centre}")
    k = max(0, k)
    succs = graph.successor_lists()
    nodes = graph.nodes
    dist: dict[int, int] = {centre: 0}
    truncated = False
    # breadth first in both directions at once, so the nearest nodes come first
    todo: deque[tuple[int, int, bool | None]] = deque([(centre, 0, None)])
    while todo:
        i, d, going_up = todo.popleft()
        if d == k:
            continue
        nexts: list[tuple[int, bool]] = []
        if going_up is not False:
            nexts.extend((p, True) for p in nodes[i].operands)
        if going_up is not True:
            nexts.extend((s, False) for s, _ in succs[i])
        for j, up in nexts:
            if j in dist:
                continue
            if len(dist) >= max_nodes:
                truncated = True
                todo.clear()
                break
            dist[j] = d + 1
            todo.append((j, d + 1, up))
    inside = sorted(dist)
    items: list[Item] = []
    keys: list[tuple[float, int]] = []  # topological sort key per item
    item_of: dict[int, int] = {}
    for i in inside:
        item_of[i] = len(items)
        items.append(Item(i))
        keys.append((i, 1))
    stub_of: dict[int, int] = {}
    raw: list[tuple[int, int, int]] = []  # (src item, dst item, slot)

    def stub(j: int) -> int:
        if j not in stub_of:
            stub_of[j] = len(items)
            items.append(Item(j, stub=True))
            keys.append((j, 1))
        return stub_of[j]

    for i in inside:
        me = item_of[i]
        outside_ops = [(slot, p) for slot, p in enumerate(nodes[i].operands) if p not in dist]
        for slot, p in enumerate(nodes[i].operands):
            if p in dist:
                raw.append((item_of[p], me, slot))
        shown = outside_ops if len(outside_ops) <= max_stubs else outside_ops[: max_stubs - 1]
        for slot, p in shown:
            raw.append((stub(p), me, slot))
        rest = len(outside_ops) - len(shown)
        if rest:
            items.append(Item(i, stub=True, more=rest, up=True))
            keys.append((i - 0.5, 0))
            raw.append((len(items) - 1, me, -1))
        outside_users = [(s, slot) for s, slot in succs[i] if s not in dist]
        shown_users = outside_users if len(outside_users) <= max_stubs else outside_users[: max_stubs - 1]
        for s, slot in shown_users:
            raw.append((me, stub(s), slot))
        rest = len(outside_users) - len(shown_users)
        if rest:
            items.append(Item(i, stub=True, more=rest, up=False))
            keys.append((i + 0.5, 2))
            raw.append((me, len(items) - 1, -1))
    # topological order of items: by node index (operands come first in the graph)
    order = sorted(range(len(items)), key=lambda n: keys[n])
    new_index = {old: new for new, old in enumerate(order)}
    sorted_items = [items[old] for old in order]
    edges = [Edge(new_index[s], new_index[d], slot) for s, d, slot in raw]
    edges.sort(key=lambda e: (e.dst, e.slot, e.src))
    return Scene(
        graph,
        sorted_items,
        edges,
        centre=centre,
        k=k,
        truncated=truncated,
        item_of={node: new_index[it] for node, it in item_of.items()},
    )


def scene_for(graph: Graph, centre: int | None = None, k: int = 2, *, limit: int = FULL_LIMIT) -> Scene:
    """The whole graph when it is small, else the neighbourhood of ``centre`` (default:
    the first output)."""
    if len(graph.nodes) <= limit:
        return full_scene(graph)
    if centre is None:
        centre = graph.outputs[0] if graph.outputs else len(graph.nodes) - 1
    return neighbourhood_scene(graph, centre, k)

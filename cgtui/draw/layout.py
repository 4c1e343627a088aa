"""Place the boxes of a scene in layers and route its edges on a character grid.

The layering and the order within each layer come from grandalf's Sugiyama layout (the
*dot* algorithm: dummy nodes on long edges, barycentre sweeps against crossings,
Brandes-Koepf coordinates). Everything on the character grid is ours:

* Layers follow the data: a computation sits one layer below its deepest operand, a leaf
  one layer above its first user, so constants sit next to where they are used.
* Each edge (one per operand slot) leaves its operand's box through a port of its own on
  the far border and enters its result through a port of its own, where the arrowhead is.
* Between two layers is a channel. An edge whose two ports line up goes straight down;
  any other edge gets a track (one row of the channel) for its sideways run. Two runs on
  one track never overlap, and where a port column is shared by the edge leaving above
  and another edge arriving below, the first one's track is placed higher (a cycle of
  such constraints is broken by a detour through a free column). So no two edges ever
  share a cell except where one crosses the other straight, and every line can be
  followed from its operand to its result.

Coordinates are computed along two axes: ``u`` runs with the data (down for top-down,
right for left-to-right), ``v`` across it; only the final step maps them to rows and
columns. Nothing here recurses over the graph; grandalf is only given bounded graphs
(the whole graph when it is small, else a neighbourhood).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cgtui.core.errors import CgtuiError
from cgtui.draw.scene import Scene

TOP_DOWN = "td"
LEFT_RIGHT = "lr"

Point = tuple[int, int]  # (row, column)


@dataclass(frozen=True, slots=True)
class Box:
    item: int
    top: int
    left: int
    height: int
    width: int

    @property
    def bottom(self) -> int:
        return self.top + self.height - 1

    @property
    def right(self) -> int:
        return self.left + self.width - 1

    def contains(self, row: int, col: int) -> bool:
        return self.top <= row <= self.bottom and self.left <= col <= self.right


@dataclass(frozen=True, slots=True)
class Route:
    """One edge as corner points (row, col): the first on the operand's border (its port),
    the last on the result's border (where the arrowhead goes)."""

    edge: int
    points: tuple[Point, ...]

    def cells(self) -> list[Point]:
        """Every cell of the line, ends included, in order."""
        out: list[Point] = [self.points[0]]
        for (r0, c0), (r1, c1) in zip(self.points, self.points[1:], strict=False):
            dr = (r1 > r0) - (r1 < r0)
            dc = (c1 > c0) - (c1 < c0)
            r, c = r0, c0
            while (r, c) != (r1, c1):
                r += dr
                c += dc
                out.append((r, c))
        return out


@dataclass
class Layout:
    scene: Scene
    orientation: str
    rows: int
    cols: int
    boxes: list[Box]  # one per item, same order
    routes: list[Route]  # one per edge, same order
    ranks: list[int] = field(default_factory=list)  # layer of each item

    def item_at(self, row: int, col: int) -> int | None:
        for box in self.boxes:
            if box.contains(row, col):
                return box.item
        return None


@dataclass
class _End:
    """One end of a hop between adjacent layers: a box (ports to choose) or a dummy."""

    item: int | None  # None for a dummy point
    v: int = 0  # port coordinate across the flow


@dataclass
class _Hop:
    edge: int
    channel: int  # between layer `channel` and `channel + 1`
    src: _End
    dst: _End
    track: int = -1
    detour: tuple[int, int, int] | None = None  # (track above, column, track below)


def content_size(lines: int, width: int) -> tuple[int, int]:
    return lines, width


def lay_out(
    scene: Scene,
    sizes: Sequence[tuple[int, int]],
    orientation: str = TOP_DOWN,
    *,
    gap: int | None = None,
    order_rounds: float = 1.5,
) -> Layout:
    """Lay ``scene`` out. ``sizes[n]`` is item ``n``'s box as (height, width) in cells,
    borders included; boxes are made larger where their ports need room."""
    if orientation not in (TOP_DOWN, LEFT_RIGHT):
        raise ValueError(f"orientation must be '{TOP_DOWN}' or '{LEFT_RIGHT}', not {orientation!r}")
    td = orientation == TOP_DOWN
    n = len(scene.items)
    if gap is None:
        gap = 2 if td else 1
    ins: list[list[int]] = [[] for _ in range(n)]
    outs: list[list[int]] = [[] for _ in range(n)]
    for e, edge in enumerate(scene.edges):
        outs[edge.src].append(e)
        ins[edge.dst].append(e)
    # box extents along the flow (du) and across it (dv), with room for the ports
    du: list[int] = []
    dv: list[int] = []
    for it in range(n):
        h, w = sizes[it]
        ports = max(len(ins[it]), len(outs[it]))
        if td:
            du.append(h)
            dv.append(max(w, 2 * ports + 3))
        else:
            du.append(w)
            dv.append(max(h, 2 * ports + 3))

    rank = _ranks(scene, ins, outs)
    cross, dummies = _order(scene, rank, dv, gap, order_rounds)

    layers = max(rank, default=-1) + 1
    # hops: each edge split at its dummy points into one hop per channel
    hops: list[_Hop] = []
    edge_hops: list[list[int]] = []
    for e, edge in enumerate(scene.edges):
        chain: list[_End] = [_End(edge.src)]
        for r in range(rank[edge.src] + 1, rank[edge.dst]):
            chain.append(_End(None, dummies[e][r]))
        chain.append(_End(edge.dst))
        ids = []
        for h in range(len(chain) - 1):
            ids.append(len(hops))
            hops.append(_Hop(e, rank[edge.src] + h, chain[h], chain[h + 1]))
        edge_hops.append(ids)

    _assign_ports(n, hops, edge_hops, cross, dv, outs, ins)

    # the extent of each layer along the flow, then route each channel
    layer_size = [1] * layers
    for it in range(n):
        layer_size[rank[it]] = max(layer_size[rank[it]], du[it])
    by_channel: list[list[_Hop]] = [[] for _ in range(max(layers - 1, 0))]
    for hop in hops:
        by_channel[hop.channel].append(hop)
    tracks = [_route_channel(ch) for ch in by_channel]
    layer_start: list[int] = []
    u = 0
    for r in range(layers):
        layer_start.append(u)
        u += layer_size[r]
        if r < layers - 1:
            u += tracks[r] + 2
    length = u

    def track_u(channel: int, t: int) -> int:
        return layer_start[channel] + layer_size[channel] + 1 + t

    routes: list[Route] = []
    for e, edge in enumerate(scene.edges):
        first = hops[edge_hops[e][0]]
        pts: list[tuple[int, int]] = [(layer_start[rank[edge.src]] + du[edge.src] - 1, first.src.v)]
        for hid in edge_hops[e]:
            hop = hops[hid]
            vs, vt = hop.src.v, hop.dst.v
            if hop.detour is not None:
                t1, f, t2 = hop.detour
                pts += [(track_u(hop.channel, t1), vs), (track_u(hop.channel, t1), f)]
                pts += [(track_u(hop.channel, t2), f), (track_u(hop.channel, t2), vt)]
            elif vs != vt:
                pts += [(track_u(hop.channel, hop.track), vs), (track_u(hop.channel, hop.track), vt)]
        pts.append((layer_start[rank[edge.dst]], hops[edge_hops[e][-1]].dst.v))
        routes.append(Route(e, _simplify(pts, td)))

    boxes: list[Box] = []
    for it in range(n):
        u0 = layer_start[rank[it]]
        v0 = cross[it]
        if td:
            boxes.append(Box(it, u0, v0, du[it], dv[it]))
        else:
            boxes.append(Box(it, v0, u0, dv[it], du[it]))
    breadth = max([cross[it] + dv[it] for it in range(n)] + [1])
    for route in routes:
        for r, c in route.points:
            breadth = max(breadth, (c if td else r) + 1)
    rows, cols = (length, breadth) if td else (breadth, length)
    return Layout(scene, orientation, rows, cols, boxes, routes, rank)


def _simplify(pts: list[tuple[int, int]], td: bool) -> tuple[Point, ...]:
    """(u, v) corner points -> (row, col), dropping repeats and points on a straight run."""
    out: list[Point] = []
    for u, v in pts:
        p = (u, v) if td else (v, u)
        if out and out[-1] == p:
            continue
        if len(out) >= 2:
            a, b = out[-2], out[-1]
            if (a[0] == b[0] == p[0]) or (a[1] == b[1] == p[1]):
                out[-1] = p
                continue
        out.append(p)
    if len(out) == 1:  # a zero-length edge cannot happen, but keep two points
        out.append(out[0])
    return tuple(out)


def _ranks(scene: Scene, ins: list[list[int]], outs: list[list[int]]) -> list[int]:
    """A computation one layer below its deepest operand; a leaf (no operands drawn) one
    layer above its nearest user. Items are in topological order, so two loops do it."""
    n = len(scene.items)
    edges = scene.edges
    rank = [0] * n
    for it in range(n):
        if ins[it]:
            rank[it] = 1 + max(rank[edges[e].src] for e in ins[it])
    for it in range(n - 1, -1, -1):
        if not ins[it] and outs[it]:
            rank[it] = min(rank[edges[e].dst] for e in outs[it]) - 1
    return rank


def _order(
    scene: Scene, rank: list[int], dv: list[int], gap: int, rounds: float
) -> tuple[list[int], list[dict[int, int]]]:
    """grandalf's crossing reduction and coordinates -> the across-flow position of every
    box's left/top side and of every dummy point, per connected component."""
    try:
        from grandalf.graphs import Edge as GEdge
        from grandalf.graphs import Vertex, graph_core
        from grandalf.layouts import Layer, SugiyamaLayout
    except ImportError:
        raise CgtuiError(
            "drawing the graph needs the grandalf package: pip install grandalf==0.8"
        ) from None

    n = len(scene.items)

    class _View:
        __slots__ = ("h", "w", "xy")

        def __init__(self, w: float) -> None:
            self.w = w
            self.h = 1.0
            self.xy: tuple[float, float] = (0.0, 0.0)

    verts = [Vertex(it) for it in range(n)]
    for it, vx in enumerate(verts):
        vx.view = _View(float(dv[it]))
    # connected components by union-find (grandalf's own search is quadratic)
    parent = list(range(n))

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for e in scene.edges:
        ra, rb = root(e.src), root(e.dst)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = {}
    for it in range(n):
        members.setdefault(root(it), []).append(it)
    comp_edges: dict[int, list[Any]] = {r: [] for r in members}
    for k, e in enumerate(scene.edges):
        comp_edges[root(e.src)].append(GEdge(verts[e.src], verts[e.dst], data=k))
    components = [graph_core([verts[it] for it in members[r]], comp_edges[r]) for r in sorted(members)]
    x = [0.0] * n
    dummy_x: list[dict[int, float]] = [{} for _ in scene.edges]
    placed: dict[tuple[int, int], list[tuple[float, int, object]]] = {}  # (component, rank) -> entries
    limit = sys.getrecursionlimit()
    for ci, comp in enumerate(components):
        sug = SugiyamaLayout(comp)
        sug.xspace = gap
        sug.yspace = 1
        sug.dw = 1  # dummy points are one cell wide
        sug.dh = 1
        sug.alt_e = []
        sug._edge_inverter()  # grandalf's "is a DAG" state; no edge needs turning round
        cverts = list(comp.sV)
        base = min(rank[v.data] for v in cverts)
        nlayers = max(rank[v.data] for v in cverts) - base + 1
        sug.layers = [Layer([]) for _ in range(nlayers)]
        for v in sorted(cverts, key=lambda v: v.data):
            r = rank[v.data] - base
            sug.grx[v].rank = r
            sug.layers[r].append(v)
        sug._edge_inverter()
        for ge in comp.sE:
            sug.setdummies(ge)
        for layer in sug.layers:
            layer.setup(sug)
        sug.initdone = True
        try:
            sug.draw(rounds)
        finally:
            sys.setrecursionlimit(limit)
        for v in cverts:
            x[v.data] = v.view.xy[0]
            placed.setdefault((ci, rank[v.data]), []).append((v.view.xy[0], v.data, None))
        for ge, ctrl in sug.ctrls.items():
            e = ge.data
            for r, dvx in ctrl.items():
                if dvx is ge.v[0] or dvx is ge.v[1]:
                    continue
                dummy_x[e][r + base] = dvx.view.xy[0]
                placed.setdefault((ci, r + base), []).append((dvx.view.xy[0], -1, (e, r + base)))
    # integer positions: keep grandalf's order and spacing, one component after another
    cross = [0] * n
    dummies: list[dict[int, int]] = [{} for _ in scene.edges]
    offset = 0
    for ci in range(len(components)):
        keys = [key for key in placed if key[0] == ci]
        lows: list[int] = []
        spots: list[tuple[int | tuple[int, int], int, int]] = []  # (what, start, width)
        for key in keys:
            entries = sorted(placed[key], key=lambda t: (t[0], t[1]))
            prev_end: int | None = None
            for xc, it, dkey in entries:
                w = dv[it] if dkey is None else 1
                start = round(xc - w / 2)
                if prev_end is not None:
                    start = max(start, prev_end + gap + 1)
                prev_end = start + w - 1
                spots.append((it if dkey is None else dkey, start, w))  # type: ignore[arg-type]
                lows.append(start)
        low = min(lows, default=0)
        high = offset
        for what, start, w in spots:
            pos = start - low + offset
            if isinstance(what, tuple):
                dummies[what[0]][what[1]] = pos
            else:
                cross[what] = pos
            high = max(high, pos + w)
        offset = high + gap + 1
    return cross, dummies


def _place(wants: list[int], lo: int, hi: int, avoid: set[int]) -> list[int]:
    """Distinct increasing positions in [lo, hi], each near its wish (given in order),
    keeping off ``avoid`` where there is room; a wish itself is always allowed (a port
    may sit on its own source's column)."""
    k = len(wants)
    out: list[int] = []
    prev = lo - 1
    for j, want in enumerate(wants):
        first, last = prev + 1, hi - (k - 1 - j)
        best = first
        best_key: tuple[bool, int] | None = None
        for c in range(first, last + 1):
            key = (c != want and c in avoid, abs(c - want))
            if best_key is None or key < best_key:
                best, best_key = c, key
        out.append(best)
        prev = best
    return out


def _assign_ports(
    n: int,
    hops: list[_Hop],
    edge_hops: list[list[int]],
    cross: list[int],
    dv: list[int],
    outs: list[list[int]],
    ins: list[list[int]],
) -> None:
    """Choose each hop's port on the far side of its source box and the near side of its
    target box: ordered by where the other end is (few crossings), straight where the two
    ends line up, and off the ports of other edges in the same channel where possible."""

    def centre(end: _End) -> int:
        if end.item is None:
            return end.v
        return cross[end.item] + dv[end.item] // 2

    # source ports first: aim at the other end
    for it in range(n):
        if not outs[it]:
            continue
        first_hops = [hops[edge_hops[e][0]] for e in outs[it]]
        first_hops.sort(key=lambda h: (centre(h.dst), h.edge))
        wants = [centre(h.dst) for h in first_hops]
        cols = _place(wants, cross[it] + 1, cross[it] + dv[it] - 2, set())
        for h, c in zip(first_hops, cols, strict=True):
            h.src.v = c
    # sources of each channel, so a target port can keep off other edges' columns
    used: dict[int, dict[int, int]] = {}
    for hid, hop in enumerate(hops):
        used.setdefault(hop.channel, {})[hop.src.v] = hid
    for it in range(n):
        if not ins[it]:
            continue
        last_hops = [(edge_hops[e][-1], hops[edge_hops[e][-1]]) for e in ins[it]]
        last_hops.sort(key=lambda t: (t[1].src.v, t[1].edge))
        wants = [h.src.v for _, h in last_hops]
        channel = last_hops[0][1].channel
        avoid = {c for c, hid in used.get(channel, {}).items()}
        lo, hi = cross[it] + 1, cross[it] + dv[it] - 2
        # a port may sit on its own source's column (a straight line), not on another's
        cols = _place(wants, lo, hi, avoid)
        for (_, h), c in zip(last_hops, cols, strict=True):
            h.dst.v = c


def _route_channel(hops: list[_Hop]) -> int:
    """Give every hop that is not straight a track; returns the number of tracks."""
    bent = [h for h in hops if h.src.v != h.dst.v]
    if not bent:
        return 0
    ports: set[int] = set()
    dst_at: dict[int, _Hop] = {}
    for h in hops:
        ports.add(h.src.v)
        ports.add(h.dst.v)
        dst_at[h.dst.v] = h
    # above[a] = b: a's sideways run must be higher than b's (a leaves where b arrives)
    position = {id(h): a for a, h in enumerate(bent)}
    above: dict[int, int] = {}
    for a, h in enumerate(bent):
        other = dst_at.get(h.src.v)
        if other is not None and other is not h:
            above[a] = position[id(other)]
    # each hop has at most one such successor: cycles are simple loops; detour one per loop
    detours: list[int] = []
    state = [0] * len(bent)  # 0 new, 1 on current walk, 2 done
    for start in range(len(bent)):
        walk = []
        cur: int | None = start
        while cur is not None and state[cur] == 0:
            state[cur] = 1
            walk.append(cur)
            cur = above.get(cur)
        if cur is not None and state[cur] == 1:
            detours.append(cur)  # a loop: break it here
        for b in walk:
            state[b] = 2
    # segments: (left, right, hop index, part) ; part 0 whole, 1 upper half, 2 lower half
    segs: list[tuple[int, int, int, int]] = []
    detour_col: dict[int, int] = {}
    taken = set(ports)
    for a in detours:
        h = bent[a]
        mid = (h.src.v + h.dst.v) // 2
        f = _free_column(mid, taken)
        taken.add(f)
        detour_col[a] = f
    for a, h in enumerate(bent):
        if a in detour_col:
            f = detour_col[a]
            segs.append((min(h.src.v, f), max(h.src.v, f), a, 1))
            segs.append((min(f, h.dst.v), max(f, h.dst.v), a, 2))
        else:
            segs.append((min(h.src.v, h.dst.v), max(h.src.v, h.dst.v), a, 0))
    # constraints between segments: (upper, lower)
    seg_of: dict[tuple[int, int], int] = {(a, part): s for s, (_, _, a, part) in enumerate(segs)}

    def leaving(a: int) -> int:  # the segment that starts at a's source column
        return seg_of.get((a, 1), seg_of.get((a, 0), -1))

    def arriving(a: int) -> int:  # the segment that ends at a's target column
        return seg_of.get((a, 2), seg_of.get((a, 0), -1))

    preds: list[set[int]] = [set() for _ in segs]
    for a, b in above.items():
        preds[arriving(b)].add(leaving(a))
    for a in detour_col:  # the detour's own column runs from its upper to its lower track
        preds[seg_of[(a, 2)]].add(seg_of[(a, 1)])
    # tracks top to bottom: every segment below the ones it must be under, in the first
    # track where it overlaps nothing; among free choices, a run going right from further
    # right (or left from further left) goes first, so runs in one direction do not cross
    # each other's vertical parts
    def priority(s: int) -> tuple[int, int]:
        _, _, a, part = segs[s]
        h = bent[a]
        start_v = h.src.v if part != 2 else detour_col[a]
        end_v = h.dst.v if part != 1 else detour_col[a]
        return (-start_v if end_v > start_v else start_v, s)

    import heapq

    below: list[list[int]] = [[] for _ in segs]
    waiting = [len(p) for p in preds]
    for s, ps in enumerate(preds):
        for p in ps:
            below[p].append(s)
    heap = [(priority(s), s) for s in range(len(segs)) if waiting[s] == 0]
    heapq.heapify(heap)
    track_of = [-1] * len(segs)
    rows: list[list[tuple[int, int]]] = []
    placed = 0
    while placed < len(segs):
        if not heap:  # cannot happen once loops are broken; place the rest rather than hang
            rest = [s for s in range(len(segs)) if track_of[s] == -1]
            heap = [(priority(s), s) for s in rest]
            heapq.heapify(heap)
            for s in rest:
                waiting[s] = 0
        _, s = heapq.heappop(heap)
        if track_of[s] != -1:
            continue
        left, right, _, _ = segs[s]
        t = max((track_of[p] + 1 for p in preds[s] if track_of[p] != -1), default=0)
        while t < len(rows) and any(not (right < lo or left > hi) for lo, hi in rows[t]):
            t += 1
        if t == len(rows):
            rows.append([])
        rows[t].append((left, right))
        track_of[s] = t
        placed += 1
        for q in below[s]:
            waiting[q] -= 1
            if waiting[q] == 0:
                heapq.heappush(heap, (priority(q), q))
    t = len(rows)
    for s, (_, _, a, part) in enumerate(segs):
        h = bent[a]
        if part == 0:
            h.track = track_of[s]
        elif part == 1:
            h.detour = (track_of[s], detour_col[a], track_of[seg_of[(a, 2)]])
    return t


def _free_column(near: int, taken: set[int]) -> int:
    for d in range(0, 1 << 20):
        for c in (near - d, near + d):
            if c >= 0 and c not in taken:
                return c
    raise RuntimeError("no free column")  # pragma: no cover

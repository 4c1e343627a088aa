"""The drawing: every node's box once, every operand slot a line that can be followed from
its operand to an arrowhead on its result, no two lines sharing a run; read back from the
characters alone (tests/test_draw_grid.py)."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest
from conftest import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_draw_grid import find_boxes, trace_edges

from cgtui.core.graph import Graph, Kind, Node
from cgtui.draw import LEFT_RIGHT, TOP_DOWN, Drawing, draw_text, full_scene, neighbourhood_scene
from cgtui.draw.render import item_lines, measure, short_number
from cgtui.engine.engine import gradients
from cgtui.lang.build import from_expression

WORKED: dict[str, tuple[str, dict[str, float]]] = {
    "chain": ("L = (w*x + b - y)^2", dict(w=0.5, x=2, b=0.1, y=1)),
    "branching": ("f = (x + y) * x", dict(x=3, y=2)),
    "regression": ("L = (w1*x1 + w2*x2 + b - y)^2", dict(w1=1, x1=2, w2=-1, x2=0.5, b=0.25, y=1)),
    "square": ("x*x", dict(x=3)),
    "micrograd1": ("z = 2*x + 2 + x; q = relu(z) + z*x; h = relu(z*z); y = h + q + q*x", dict(x=-4)),
    "micrograd2": (
        "c = a + b; d = a*b + b**3; c = c + c + 1; c = c + 1 + c + (-a)\n"
        "d = d + d*2 + relu(b + a); d = d + 3*d + relu(b - a); e = c - d; f = e**2\n"
        "g = f / 2.0; g = g + 10.0 / f",
        dict(a=-4, b=2),
    ),
}


def ladder(levels: int) -> Graph:
    lines = [f"a{k + 1} = tanh(a{k}*a{k} + a{k})" for k in range(levels)]
    return from_expression("\n".join(lines), values={"a0": 0.5})


def random_dag(n: int, seed: int, max_back: int | None = None) -> Graph:
    rng = random.Random(seed)
    nodes: list[Node] = []
    leaves = max(2, n // 5)
    for i in range(n):
        if i < leaves:
            nodes.append(Node(f"n{i}", Kind.INPUT, value=1.0))
            continue
        lo = 0 if max_back is None else max(0, i - max_back)
        a, b = rng.randrange(lo, i), rng.randrange(lo, i)
        nodes.append(Node(f"n{i}", Kind.COMPUTATION, rng.choice(["add", "mul"]), (a, b)))
    return Graph(nodes, [n - 1])


def expected_edges(graph: Graph) -> Counter[tuple[str, str]]:
    return Counter((graph.nodes[p].name, graph.nodes[i].name) for p, i, _ in graph.edges())


def check_full(graph: Graph, orientation: str, text: str | None = None) -> str:
    if text is None:
        drawing = Drawing.build(graph, orientation, limit=10**9)
        picture = drawing.picture()
        assert picture.clashes == 0
        text = picture.text()
    boxes, edges = trace_edges(text, orientation)
    names = Counter(b.name for b in boxes)
    assert names == Counter(n.name for n in graph.nodes), "every node's box, each once"
    assert edges == expected_edges(graph), "every operand slot one followable line"
    return text


@pytest.mark.parametrize("orientation", [TOP_DOWN, LEFT_RIGHT])
@pytest.mark.parametrize("example", sorted(WORKED))
def test_worked_examples(example: str, orientation: str) -> None:
    text, values = WORKED[example]
    graph = from_expression(text, values=values)
    check_full(graph, orientation)


@pytest.mark.parametrize("orientation", [TOP_DOWN, LEFT_RIGHT])
def test_values_and_partials_in_the_boxes(orientation: str) -> None:
    text, values = WORKED["chain"]
    graph = from_expression(text, values=values, params={"w", "b"}, labels={"y"})
    g = gradients(graph)
    drawn = draw_text(graph, orientation, g.values, g.partials)
    check_full(graph, orientation, drawn)
    lines = drawn.split("\n")
    for box in find_boxes(lines):
        i = graph.lookup(box.name)
        inside = [lines[r][box.left + 1 : box.right].strip() for r in range(box.top + 1, box.bottom)]
        # value above, partial below (CS231n style), as the engine computed them
        assert f"= {short_number(g.values[i])}" in inside
        partial = g.partials[i]
        if partial is not None:
            assert inside.index(f"∂ {short_number(partial)}") > inside.index(
                f"= {short_number(g.values[i])}"
            )
    assert "param" in drawn and "label" in drawn


def test_x_times_x_has_two_lines_into_the_product() -> None:
    graph = from_expression("x*x")
    text = check_full(graph, TOP_DOWN)
    assert expected_edges(graph)[("x", "out")] == 2
    assert text.count("▼") == 2 and text.count("┬") == 2


def test_ladder_30_levels() -> None:
    graph = ladder(30)
    assert graph.edge_count() == 150
    for orientation in (TOP_DOWN, LEFT_RIGHT):
        check_full(graph, orientation)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(3, 40), seed=st.integers(0, 10**6), back=st.sampled_from([None, 2, 5]))
def test_random_dags_have_no_shared_runs(n: int, seed: int, back: int | None) -> None:
    graph = random_dag(n, seed, back)
    check_full(graph, TOP_DOWN)
    check_full(graph, LEFT_RIGHT)


def test_random_dag_100_nodes() -> None:
    check_full(random_dag(100, 7), TOP_DOWN)


def test_disconnected_parts_side_by_side() -> None:
    nodes = [
        Node("a", Kind.INPUT),
        Node("b", Kind.INPUT),
        Node("c", Kind.COMPUTATION, "mul", (0, 0)),
        Node("d", Kind.COMPUTATION, "exp", (1,)),
        Node("lonely", Kind.INPUT),
    ]
    graph = Graph(nodes, [2, 3])
    check_full(graph, TOP_DOWN)
    check_full(graph, LEFT_RIGHT)


def test_boxes_do_not_depend_on_values_when_refilled() -> None:
    text, values = WORKED["chain"]
    graph = from_expression(text, values=values)
    drawing = Drawing.build(graph)
    before = drawing.picture()
    g = gradients(graph)
    after = drawing.picture(g.values, g.partials)
    assert len(before.lines) == len(after.lines)
    assert "= ?" in before.text() and "= ?" not in after.text()
    assert "= 0.01" in after.text()


def test_long_names_are_clipped_not_overflowing() -> None:
    graph = from_expression("product = a_long_variable_name_for_a_test * another_long_name_too")
    scene = full_scene(graph)
    _, inner = measure(scene)
    product = graph.lookup("product")
    assert inner[product] <= 24
    name, op = item_lines(scene, product, width=inner[product])[:2]
    assert name[0] == "product" and op[0].endswith("…") and len(op[0]) == inner[product]
    # names are never clipped: they are how a reader finds a node
    assert inner[0] == len("a_long_variable_name_for_a_test")
    check_full(graph, TOP_DOWN)


# --- neighbourhoods ----------------------------------------------------------------------


def test_neighbourhood_keeps_k_edges_and_stubs_the_rest() -> None:
    graph = ladder(30)
    centre = graph.lookup("a15")
    scene = neighbourhood_scene(graph, centre, k=2)
    inside = {graph.nodes[it.node].name for it in scene.items if not it.stub}
    stubbed = {graph.nodes[it.node].name for it in scene.items if it.stub and not it.more}
    # a15 = tanh(a14*a14 + a14): a14 is two edges up (via the +), a13 five;
    # a16 = tanh(a15*a15 + a15) two edges down, and what uses a16 three (stubs)
    assert {"a15", "a14", "a16"} <= inside
    assert "a13" not in inside and "a17" not in inside
    users_of_a16 = {graph.nodes[s].name for s, _ in graph.successors(graph.lookup("a16"))}
    assert users_of_a16 and users_of_a16 <= stubbed
    # every node inside is within 2 edges of the centre, going one way
    dist_up = _distances(graph, centre, up=True)
    dist_down = _distances(graph, centre, up=False)
    for it in scene.items:
        if not it.stub:
            assert min(dist_up.get(it.node, 99), dist_down.get(it.node, 99)) <= 2
    # every edge that leaves the neighbourhood ends in a stub
    stubs = [it for it in scene.items if it.stub]
    assert stubs
    for e in scene.edges:
        assert not (scene.items[e.src].stub and scene.items[e.dst].stub)
    drawing = Drawing.build(graph, scene=scene)
    text = drawing.picture().text()
    boxes, _ = trace_edges(text)
    assert sum(1 for b in boxes if b.stub) == len(stubs)
    assert sum(1 for b in boxes if b.name == "a15") == 1


def _distances(graph: Graph, start: int, *, up: bool) -> dict[int, int]:
    dist = {start: 0}
    frontier = [start]
    while frontier:
        nxt = []
        for i in frontier:
            near = graph.nodes[i].operands if up else [s for s, _ in graph.successors(i)]
            for j in near:
                if j not in dist:
                    dist[j] = dist[i] + 1
                    nxt.append(j)
        frontier = nxt
    return dist


def test_neighbourhood_of_a_hub_is_bounded() -> None:
    # one input used by 2,000 results: k=1 would take them all; the cap and "+N" stub hold
    nodes = [Node("x", Kind.INPUT)] + [Node(f"r{k}", Kind.COMPUTATION, "exp", (0,)) for k in range(2000)]
    graph = Graph(nodes, [1])
    scene = neighbourhood_scene(graph, 0, k=1, max_nodes=50)
    assert scene.truncated
    assert len([it for it in scene.items if not it.stub]) == 50
    more = [it for it in scene.items if it.more]
    single = [it for it in scene.items if it.stub and not it.more]
    # 49 results inside; the other 1,951 are a few named stubs plus one "+N" stub
    assert more and sum(it.more for it in more) + len(single) == 2000 - 49
    drawing = Drawing.build(graph, scene=scene)
    assert drawing.picture().clashes == 0
    assert f"+{more[0].more} results" in drawing.picture().text()


def test_big_graph_draws_a_neighbourhood_by_default() -> None:
    graph = random_dag(1000, 3, 10)
    drawing = Drawing.build(graph)
    assert drawing.scene.partial
    assert drawing.scene.centre == graph.outputs[0]
    assert len(drawing.scene.items) < 400
    assert drawing.picture().clashes == 0


# --- channel routing corner cases ----------------------------------------------------------


def _channel_cells(hops: list[Any], tracks: int) -> dict[tuple[int, int], list[tuple[int, str]]]:
    """Cells each hop uses in a channel of `tracks` rows (row -1: source ports, row
    `tracks`: target ports), with the way the line passes: '|', '-' or a corner '+'."""
    from cgtui.draw.layout import Route

    used: dict[tuple[int, int], list[tuple[int, str]]] = {}
    for n, h in enumerate(hops):
        vs, vt = h.src.v, h.dst.v
        if h.detour is not None:
            t1, f, t2 = h.detour
            pts = [(-1, vs), (t1, vs), (t1, f), (t2, f), (t2, vt), (tracks, vt)]
        elif vs != vt:
            pts = [(-1, vs), (h.track, vs), (h.track, vt), (tracks, vt)]
        else:
            pts = [(-1, vs), (tracks, vt)]
        pts = [p for k, p in enumerate(pts) if k == 0 or p != pts[k - 1]]
        cells = Route(n, tuple(pts)).cells()
        for k in range(1, len(cells) - 1):
            (r0, c0), (r, c), (r1, c1) = cells[k - 1], cells[k], cells[k + 1]
            way = "|" if c0 == c == c1 else "-" if r0 == r == r1 else "+"
            used.setdefault((r, c), []).append((n, way))
    return used


@pytest.mark.parametrize(
    "pairs",
    [
        [(3, 7), (7, 3)],  # two edges swapping columns: a loop of "must be above"
        [(1, 5), (5, 9), (9, 1)],  # a loop of three
        [(2, 6), (6, 2), (4, 8), (8, 4), (10, 10)],  # two loops and a straight line
        [(1, 4), (4, 8), (8, 12)],  # a chain: each must sit above the next
    ],
)
def test_channel_routing_never_shares_a_cell(pairs: list[tuple[int, int]]) -> None:
    from cgtui.draw.layout import _End, _Hop, _route_channel

    hops = [_Hop(n, 0, _End(0, vs), _End(1, vt)) for n, (vs, vt) in enumerate(pairs)]
    tracks = _route_channel(hops)
    for (r, c), users in _channel_cells(hops, tracks).items():
        if len(users) > 1:
            ways = sorted(w for _, w in users)
            assert ways == ["-", "|"], f"cell {r}:{c} shared by {users}"
    loops = sum(1 for h in hops if h.detour is not None)
    if pairs[0] == (1, 4):
        # a chain: the edge leaving where another arrives runs higher, so no detour
        assert loops == 0
        assert hops[2].track < hops[1].track < hops[0].track
    else:
        assert loops == {2: 1, 3: 1, 5: 2}[len(pairs)]


# --- the command ------------------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from cgtui.cli import main

    code = main(["draw", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_draws_plain_text_into_a_pipe(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "f = (x + y) * x", "--at", "x=3,y=2", "--values")
    assert code == 0 and err == ""
    assert "\x1b[" not in out  # no colour codes when not a terminal
    graph = from_expression("f = (x + y) * x")
    check_full(graph, TOP_DOWN, out.rstrip("\n"))
    assert "= 15" in out and "∂ 8" in out  # f's value; df/dx = 2x + y


def test_cli_left_to_right_and_outline(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "L = (w*x + b - y)^2", "--lr")
    assert code == 0
    check_full(from_expression("L = (w*x + b - y)^2"), LEFT_RIGHT, out.rstrip("\n"))
    code, out, _ = run_cli(capsys, "L = (w*x + b - y)^2", "--outline")
    lines = out.splitlines()
    assert code == 0 and lines[0].endswith("L = v3 ^ 2")
    assert sum(1 for line in lines if line.rstrip().endswith("w (input)")) == 1


def test_cli_bad_input_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "x*y", "--around", "z")
    assert code == 2 and "no node named 'z'" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "x*y", "--values")
    assert code == 2 and "x" in err
    code, _, err = run_cli(capsys, "x*y", "-k", "-1")
    assert code == 2 and "-k" in err


def test_cli_big_graph_draws_a_neighbourhood(capsys: pytest.CaptureFixture[str]) -> None:
    lines = [f"a{k + 1} = tanh(a{k}*a{k} + a{k})" for k in range(120)]  # 361 nodes
    code, out, err = run_cli(capsys, "\n".join(lines), "-k", "1")
    assert code == 0
    assert "neighbourhood of 'a120'" in err
    boxes, _ = trace_edges(out.rstrip("\n"))
    assert "a120" in {b.name for b in boxes} and len(boxes) < 10


def test_cli_offers_all_only_when_all_is_allowed(capsys: pytest.CaptureFixture[str]) -> None:
    """Past the --all limit the hint must not suggest --all, which would be refused."""
    from cgtui.commands.draw import ALL_LIMIT

    small = [f"a{k + 1} = tanh(a{k}*a{k} + a{k})" for k in range(120)]  # 361 nodes
    big = [f"a{k + 1} = tanh(a{k}*a{k} + a{k})" for k in range(ALL_LIMIT // 3 + 10)]
    code, _, err = run_cli(capsys, "\n".join(small), "-k", "1")
    assert code == 0 and "--all for everything" in err
    code, _, err = run_cli(capsys, "\n".join(big), "-k", "1")
    assert code == 0 and "neighbourhood of" in err and "--all" not in err
    code, _, err = run_cli(capsys, "\n".join(big), "--all")
    assert code == 2 and f"--all draws at most {ALL_LIMIT}" in err

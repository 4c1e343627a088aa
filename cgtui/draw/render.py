"""Draw a :class:`~cgtui.draw.layout.Layout` on a character grid.

Each box shows the node's name, its operation (``yhat - y``; the kind for a leaf), and
when known its value and, below it, its partial ``dL/dnode`` (the CS231n circuit style:
value above, gradient below). Edges are box-drawing lines; an edge leaves its operand
through a port on the far border (``┬`` top-down, ``├`` left-to-right) and ends in an
arrowhead on its result (``▼``/``▶``). Where two edges cross, the cell is ``┼``; any other
meeting of two lines would make it unclear which operand feeds which result, and the
layout never produces one (:attr:`Picture.clashes` counts them, for the tests).

The result is plain text plus, for every cell, a tag saying what it belongs to, so the
explorer can colour boxes by kind and highlight a node and its edges without parsing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cgtui.core import notation
from cgtui.core.errors import short_name
from cgtui.draw.layout import LEFT_RIGHT, TOP_DOWN, Box, Layout
from cgtui.draw.scene import Scene
from cgtui.engine.engine import application_text

Grid = Sequence[dict[int, str]] | dict[int, list[str]]

# cell tags: index * 8 + role
BLANK, EDGE, ARROW, BORDER, NAME, TEXT, VALUE, PARTIAL = range(8)
ROLES = 8

UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8
LINE_CHARS = {
    UP | DOWN: "│",
    LEFT | RIGHT: "─",
    DOWN | RIGHT: "┌",
    DOWN | LEFT: "┐",
    UP | RIGHT: "└",
    UP | LEFT: "┘",
}
CROSS = "┼"
ARROWS = {TOP_DOWN: "▼", LEFT_RIGHT: "▶"}
PORTS = {TOP_DOWN: "┬", LEFT_RIGHT: "├"}
SOLID = ("┌", "┐", "└", "┘", "─", "│")
DASHED = ("┌", "┐", "└", "┘", "╌", "╎")

MIN_INNER = 9  # room for a value such as "= -0.1234"
ARRAY_INNER = 14  # room for an array's "= μ -0.0001281" or "= μ0.5 [0, 1]"
MAX_INNER = 24
PARTIAL_PREFIX = notation.BOX_PARTIAL
VALUE_PREFIX = "= "


def short_number(v: float, width: int | None = None) -> str:
    """A number in at most ``width`` characters (as precise as fits)."""
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == int(v) and abs(v) < 1e15:
        text = str(int(v))
        if width is None or len(text) <= width:
            return text
    for digits in range(6, 0, -1):
        text = f"{v:.{digits}g}"
        if width is None or len(text) <= width:
            return text
    return "…"


def value_string(v: Any, width: int | None = None) -> str:
    if v is None:
        return "?"
    if isinstance(v, str):  # a marker such as "-" (no partial)
        return v
    if isinstance(v, (float, int)):
        return short_number(float(v), width)
    try:  # an array: its mean, and its range where it fits
        import numpy as np

        arr = np.asarray(v, dtype=float)
        if arr.ndim == 0:
            return short_number(float(arr), width)
        return array_brief(arr, width)
    except (TypeError, ValueError):
        return "?"


def array_brief(arr: Any, width: int | None = None) -> str:
    """An array in a box: its mean and its range, ``μ 0.175 [-0.9, 1.4]``, as precise as
    fits ``width``, else the mean alone (``μ 0.175``); the box's line above gives the shape."""
    import numpy as np

    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return _clip("no finite entries" if arr.size else "empty", width)
    mean, lo, hi = float(finite.mean()), float(finite.min()), float(finite.max())
    for digits in (4, 3, 2):
        m, a, b = (short_number(float(f"{x:.{digits}g}")) for x in (mean, lo, hi))
        for text in (f"μ {m} [{a}, {b}]", f"μ{m} [{a},{b}]"):
            if width is None or len(text) <= width:
                return text
    inner = None if width is None else max(1, width - 2)
    return "μ " + short_number(float(f"{mean:.4g}"), inner)


def _shape_line(scene: Scene, node: int) -> str | None:
    """``(4,2)``: an array node's shape, for its box in a tensor graph (None for a number,
    or a node whose shape is unknown). Shapes follow from the leaves' values, which keep
    their shapes, so they are worked out once per graph."""
    g = scene.graph
    if "draw.shapes" not in g.cache:  # one look at the leaves per graph, not one per box
        from cgtui.teach.tensor_text import node_shapes

        g.cache["draw.shapes"] = node_shapes(g) if g.has_arrays else None
    shapes = g.cache["draw.shapes"]
    if not isinstance(shapes, list) or node >= len(shapes):
        return None
    shape = shapes[node]
    return None if shape is None or shape == () else notation.short_shape(shape)


def _clip(text: str, width: int | None) -> str:
    if width is None or len(text) <= width:
        return text
    return text[: max(0, width - 1)] + "…"


def item_lines(
    scene: Scene,
    it: int,
    values: Sequence[Any] | None = None,
    partials: Sequence[Any] | None = None,
    *,
    show_values: bool = True,
    show_partials: bool = True,
    width: int | None = None,
    no_partial: str = "?",
    partial_prefix: str = PARTIAL_PREFIX,
) -> list[tuple[str, int]]:
    """The text lines of item ``it``'s box with their roles (NAME, TEXT, VALUE, PARTIAL);
    ``partial_prefix`` marks the second number (forward mode's drawing writes a tangent
    there, ``d/dx 1``)."""
    item = scene.items[it]
    g = scene.graph
    node = g.nodes[item.node]
    if item.more:
        what = "operands" if item.up else "results"
        return [(_clip(f"+{item.more} {what}", width), TEXT)]
    if item.stub:
        return [(f"{short_name(node.name)} …", NAME)]
    lines = [(short_name(node.name), NAME)]
    if node.op is None:
        kind = node.kind.value
        if item.node in g.outputs:
            kind += ", output"
        lines.append((_clip(kind, width), TEXT))
    else:
        lines.append((_clip(application_text(g, item.node), width), TEXT))
    shape = _shape_line(scene, item.node)
    if shape is not None:
        lines.append((_clip(shape, width), TEXT))
    inner = None if width is None else width - 2
    if show_values:
        v = values[item.node] if values is not None else None
        lines.append((VALUE_PREFIX + value_string(v, inner), VALUE))
    if show_partials:
        d = partials[item.node] if partials is not None else None
        room = None if width is None else max(1, width - len(partial_prefix))
        text = no_partial if d is None else value_string(d, room)
        lines.append((partial_prefix + text, PARTIAL))
    return lines


def measure(
    scene: Scene,
    values: Sequence[Any] | None = None,
    partials: Sequence[Any] | None = None,
    *,
    show_values: bool = True,
    show_partials: bool = True,
    min_inner: int = MIN_INNER,
    partial_prefix: str = PARTIAL_PREFIX,
) -> tuple[list[tuple[int, int]], list[int]]:
    """Box sizes (height, width, borders included) and inner text widths for ``layout``.
    With ``values=None`` the widths do not depend on the numbers, so the explorer can
    lay a graph out once and refill the boxes after every step."""
    sizes: list[tuple[int, int]] = []
    inner: list[int] = []
    for it, item in enumerate(scene.items):
        lines = item_lines(
            scene,
            it,
            values,
            partials,
            show_values=show_values,
            show_partials=show_partials,
            partial_prefix=partial_prefix,
        )
        # the second number gets the room a partial has after "d ", whatever its mark
        floor = 1 if item.stub else min_inner + max(0, len(partial_prefix) - len(PARTIAL_PREFIX))
        if not item.stub and not item.more and _shape_line(scene, item.node) is not None:
            floor = max(floor, ARRAY_INNER)  # an array's mean (and range) needs more room than a number
        # a name is clipped only past NAME_WIDTH (it is how the reader finds the node)
        w = max(
            min(MAX_INNER, max([floor] + [len(t) for t, _ in lines])),
            max([len(t) for t, role in lines if role == NAME] + [0]),
        )
        inner.append(w)
        sizes.append((len(lines) + 2, w + 4))
    return sizes, inner


@dataclass
class Picture:
    lines: list[str]
    tags: list[dict[int, int]]  # per row: column -> index * ROLES + role (blank cells left out)
    clashes: int = 0  # cells where two lines meet other than by crossing straight

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.lines)

    def tag(self, row: int, col: int) -> int:
        return self.tags[row].get(col, BLANK)

    def spans(self, row: int) -> list[tuple[int, int, int]]:
        """(start, end, tag) runs of equal tag on one row."""
        out: list[tuple[int, int, int]] = []
        tags = self.tags[row]
        width = len(self.lines[row])
        start = 0
        current = tags.get(0, BLANK)
        for c in range(1, width + 1):
            t = tags.get(c, BLANK) if c < width else -1
            if t != current:
                out.append((start, c, current))
                start, current = c, t
        return out


def render(layout: Layout, texts: Sequence[Sequence[tuple[str, int]]]) -> Picture:
    """Characters and tags for ``layout`` with box contents ``texts`` (from
    :func:`item_lines`, one list per item)."""
    rows = layout.rows
    grid: list[dict[int, str]] = [{} for _ in range(rows)]  # sparse: big drawings are mostly blank
    tags: list[dict[int, int]] = [{} for _ in range(rows)]
    conn: dict[tuple[int, int], list[tuple[int, int]]] = {}  # cell -> [(edge, directions)]
    for route in layout.routes:
        e = route.edge
        pts = route.points
        for k in range(len(pts) - 1):
            (r0, c0), (r1, c1) = pts[k], pts[k + 1]
            if r0 == r1:
                step = 1 if c1 > c0 else -1
                for c in range(c0 + step, c1, step):
                    conn.setdefault((r0, c), []).append((e, LEFT | RIGHT))
            else:
                step = 1 if r1 > r0 else -1
                for r in range(r0 + step, r1, step):
                    conn.setdefault((r, c0), []).append((e, UP | DOWN))
        for k in range(1, len(pts) - 1):
            d = _direction(pts[k], pts[k - 1]) | _direction(pts[k], pts[k + 1])
            conn.setdefault(pts[k], []).append((e, d))
    clashes = 0
    for (r, c), users in conn.items():
        if len(users) == 1:
            e, d = users[0]
            grid[r][c] = LINE_CHARS.get(d, "?")
            tags[r][c] = e * ROLES + EDGE
        else:
            dirs = sorted(d for _, d in users)
            if len(users) != 2 or dirs != [UP | DOWN, LEFT | RIGHT]:
                clashes += 1
            grid[r][c] = CROSS
            tags[r][c] = users[0][0] * ROLES + EDGE
    for box in layout.boxes:
        item = layout.scene.items[box.item]
        tl, tr, bl, br, h, v = DASHED if item.stub else SOLID
        border = box.item * ROLES + BORDER
        for c in range(box.left, box.right + 1):
            for r, ch in ((box.top, h), (box.bottom, h)):
                grid[r][c] = ch
                tags[r][c] = border
        for r in range(box.top, box.bottom + 1):
            for c, ch in ((box.left, v), (box.right, v)):
                grid[r][c] = ch
                tags[r][c] = border
            if box.top < r < box.bottom:
                for c in range(box.left + 1, box.right):
                    grid[r][c] = " "
                    tags[r][c] = border
        grid[box.top][box.left], grid[box.top][box.right] = tl, tr
        grid[box.bottom][box.left], grid[box.bottom][box.right] = bl, br
        _write_text(grid, tags, box, texts[box.item])
    port, arrow = PORTS[layout.orientation], ARROWS[layout.orientation]
    for route in layout.routes:
        (r0, c0), (r1, c1) = route.points[0], route.points[-1]
        grid[r0][c0] = port
        tags[r0][c0] = route.edge * ROLES + EDGE
        grid[r1][c1] = arrow
        tags[r1][c1] = route.edge * ROLES + ARROW
    lines: list[str] = []
    for cells in grid:
        if not cells:
            lines.append("")
            continue
        row = [" "] * (max(cells) + 1)
        for c, ch in cells.items():
            row[c] = ch
        lines.append("".join(row))
    return Picture(lines, tags, clashes)


def _write_text(grid: Grid, tags: list[dict[int, int]], box: Box, lines: Sequence[tuple[str, int]]) -> None:
    inner = box.width - 4
    for j, (text, role) in enumerate(lines):
        r = box.top + 1 + j
        if r >= box.bottom:
            break
        if role != NAME:
            text = _clip(text, inner)
        c0 = box.left + 2 + (inner - len(text)) // 2
        for k, ch in enumerate(text):
            grid[r][c0 + k] = ch
            tags[r][c0 + k] = box.item * ROLES + role


def refill(
    picture: Picture,
    layout: Layout,
    texts: Mapping[int, Sequence[tuple[str, int]]],
    items: Iterable[int],
) -> None:
    """Rewrite the text inside the boxes of ``items`` (after a step), leaving the rest."""
    rows: dict[int, list[str]] = {}
    for it in items:
        box = layout.boxes[it]
        for r in range(box.top + 1, box.bottom):
            row = rows.get(r)
            if row is None:
                row = rows[r] = list(picture.lines[r])
            for c in range(box.left + 1, box.right):
                row[c] = " "
                picture.tags[r][c] = it * ROLES + BORDER
        _write_text(rows, picture.tags, box, texts[it])
    for r, row in rows.items():
        picture.lines[r] = "".join(row)


def _direction(at: tuple[int, int], to: tuple[int, int]) -> int:
    dr, dc = to[0] - at[0], to[1] - at[1]
    if dr < 0:
        return UP
    if dr > 0:
        return DOWN
    if dc < 0:
        return LEFT
    return RIGHT



"""Read a drawing back from its characters alone: find the boxes, follow every line from
its port to its arrowhead. The drawing tests compare what they read with the graph."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

H_LINES = "─╌"
V_LINES = "│╎"
TURN = {  # corner -> {direction of travel in: direction out}
    "┌": {"U": "R", "L": "D"},
    "┐": {"U": "L", "R": "D"},
    "└": {"D": "R", "L": "U"},
    "┘": {"D": "L", "R": "U"},
}
STEP = {"U": (-1, 0), "D": (1, 0), "L": (0, -1), "R": (0, 1)}


@dataclass
class GridBox:
    name: str
    top: int
    left: int
    bottom: int
    right: int
    stub: bool

    def on_border(self, r: int, c: int) -> bool:
        inside = self.top <= r <= self.bottom and self.left <= c <= self.right
        return inside and (r in (self.top, self.bottom) or c in (self.left, self.right))


class GridError(AssertionError):
    pass


def _at(lines: list[str], r: int, c: int) -> str:
    if 0 <= r < len(lines) and 0 <= c < len(lines[r]):
        return lines[r][c]
    return " "


def find_boxes(lines: list[str]) -> list[GridBox]:
    boxes = []
    for r, line in enumerate(lines):
        for c, ch in enumerate(line):
            if ch != "┌":
                continue
            # top border to the right until ┐
            c2 = c + 1
            while _at(lines, r, c2) in "─╌▼┬":
                c2 += 1
            if _at(lines, r, c2) != "┐" or c2 == c + 1:
                continue
            r2 = r + 1
            while _at(lines, r2, c) in "│╎▶":
                r2 += 1
            if _at(lines, r2, c) != "└" or _at(lines, r2, c2) != "┘" or r2 == r + 1:
                continue
            bottom = lines[r2][c : c2 + 1]
            if any(ch not in "└┘─╌┬" for ch in bottom):
                continue
            if any(_at(lines, rr, c2) not in "│╎├" for rr in range(r + 1, r2)):
                continue
            name = lines[r + 1][c + 1 : c2].strip()
            stub = _at(lines, r + 1, c) == "╎"
            if stub and name.endswith(" …"):
                name = name[:-2]
            boxes.append(GridBox(name, r, c, r2, c2, stub))
    return boxes


def box_at(boxes: list[GridBox], r: int, c: int) -> GridBox:
    for b in boxes:
        if b.on_border(r, c):
            return b
    raise GridError(f"no box border at {r}:{c}")


def trace_edges(text: str, orientation: str = "td") -> tuple[list[GridBox], Counter[tuple[str, str]]]:
    """Boxes and the multiset of (operand box name, result box name) read off the lines.
    Raises GridError when a line runs into anything but a straight line, a corner, a
    straight crossing or its arrowhead (a T-junction means two edges share a run)."""
    lines = text.split("\n")
    boxes = find_boxes(lines)
    port, arrow, out = ("┬", "▼", "D") if orientation == "td" else ("├", "▶", "R")
    edges: Counter[tuple[str, str]] = Counter()
    arrows_seen: set[tuple[int, int]] = set()
    for b in boxes:
        if orientation == "td":
            cells = [(b.bottom, c) for c in range(b.left, b.right + 1)]
        else:
            cells = [(r, b.right) for r in range(b.top, b.bottom + 1)]
        for r0, c0 in cells:
            if _at(lines, r0, c0) != port:
                continue
            r, c, d = r0, c0, out
            for _ in range(len(lines) * max(map(len, lines)) + 1):
                dr, dc = STEP[d]
                r, c = r + dr, c + dc
                ch = _at(lines, r, c)
                if ch == arrow:
                    if d != out:
                        raise GridError(f"arrowhead at {r}:{c} entered sideways")
                    if (r, c) in arrows_seen:
                        raise GridError(f"two lines end in the arrowhead at {r}:{c}")
                    arrows_seen.add((r, c))
                    edges[(b.name, box_at(boxes, r, c).name)] += 1
                    break
                if ch == "┼" or (ch in H_LINES and d in "LR") or (ch in V_LINES and d in "UD"):
                    continue
                if ch in TURN and d in TURN[ch]:
                    d = TURN[ch][d]
                    continue
                raise GridError(f"line from {b.name} at {r0}:{c0} runs into {ch!r} at {r}:{c}")
            else:  # pragma: no cover
                raise GridError("line does not end")
    total_arrows = sum(line.count(arrow) for line in lines)
    if total_arrows != len(arrows_seen):
        raise GridError(f"{total_arrows - len(arrows_seen)} arrowheads have no line")
    return boxes, edges


# --- the reader itself must be able to fail ---------------------------------------------

SHARED_RUN = """\
┌───┐ ┌───┐
│ a │ │ b │
└─┬─┘ └─┬─┘
  │     │
  └──┬──┘
  ┌──▼┐
  │ c │
  └───┘"""

GOOD = """\
┌───┐ ┌───┐
│ a │ │ b │
└─┬─┘ └─┬─┘
  │     │
  └──┐┌─┘
  ┌──▼▼┐
  │ c  │
  └────┘"""


def test_reader_follows_lines() -> None:
    boxes, edges = trace_edges(GOOD)
    assert sorted(b.name for b in boxes) == ["a", "b", "c"]
    assert edges == Counter({("a", "c"): 1, ("b", "c"): 1})


def test_reader_rejects_a_shared_run() -> None:
    import pytest

    with pytest.raises(GridError, match="runs into '┬'"):
        trace_edges(SHARED_RUN)

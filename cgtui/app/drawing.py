"""The explorer's drawing view: the DAG itself, boxes and edges, scrolling both ways.

:class:`DrawingView` follows the app's :class:`~cgtui.app.views.GraphView` protocol, so the
app mounts it as a third tab with nothing else to do:

* down (called by the parent): ``show(stepper)`` with a new graph, ``refresh_nodes(changed)``
  after a step (``None``: all), ``set_touched(i)`` with the node a step touched (``None``
  clears it), ``select(i)`` to move the highlight to node ``i``;
* up: ``GraphView.NodeChosen(i)`` whenever the user moves the selection (keys or mouse).

Keys (top-down; left-to-right turns them a quarter): ``up`` to an operand, ``down`` to a
result, ``left``/``right`` to the neighbouring box in the same layer (a sibling); the one
nearest on screen is taken. ``v`` flips top-down / left-to-right. Shift+arrows, page keys
and the mouse wheel scroll; a click selects. Graphs above :data:`FULL_LIMIT` nodes are
drawn as the neighbourhood of the selected node (``+``/``-`` change its radius ``k``;
moving onto a stub re-centres it). Layouts that may take a while run in a thread worker,
so the app never freezes.

Colours come from the theme through component classes: the app's ``kind--*`` and
``node--touched`` (shared with the tree and the table) and ``drawing--*`` below.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from cgtui.app import explain
from cgtui.app.views import KIND_CLASSES, GraphView
from cgtui.core.errors import short_name
from cgtui.core.lazy import load_numpy
from cgtui.draw import (
    ARROW,
    BORDER,
    EDGE,
    FULL_LIMIT,
    LEFT_RIGHT,
    NAME,
    PARTIAL,
    ROLES,
    TEXT,
    TOP_DOWN,
    VALUE,
    Drawing,
    Picture,
    full_scene,
    neighbourhood_scene,
)
from cgtui.engine.engine import Stepper

#: scenes with more items than this are laid out in a thread worker
WORKER_ITEMS = 60

#: a kind's style may underline (the output's does, for the name): never the box's frame
NO_UNDERLINE = Style(underline=False)


class DrawingView(GraphView, ScrollView, can_focus=True):
    """The computation graph drawn as layered boxes joined by one line per operand slot."""

    DEFAULT_CSS = """
    DrawingView {
        background: $surface;
        scrollbar-size: 1 1;
    }
    DrawingView > .drawing--edge { color: $foreground 45%; }
    DrawingView > .drawing--edge-hot { color: $accent; text-style: bold; }
    DrawingView > .drawing--edge-selected { color: $primary; text-style: bold; }
    DrawingView > .drawing--selected { background: $primary 30%; text-style: bold; }
    DrawingView > .drawing--value { color: $text-success; }
    DrawingView > .drawing--partial { color: $text-error; }
    DrawingView > .drawing--stub { color: $text-muted; }
    DrawingView > .drawing--note { color: $text-muted; text-style: italic; }
    DrawingView > .kind--input { color: $text-primary; }
    DrawingView > .kind--label { color: $text-secondary; }
    DrawingView > .kind--param { color: $text-warning; text-style: bold; }
    DrawingView > .kind--const { color: $text-muted; }
    DrawingView > .kind--computation { color: $foreground; }
    DrawingView > .kind--output { color: $text-success; text-style: bold; }
    DrawingView > .node--touched { background: $accent 35%; text-style: bold; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = KIND_CLASSES | {
        "drawing--edge",
        "drawing--edge-hot",
        "drawing--edge-selected",
        "drawing--selected",
        "drawing--value",
        "drawing--partial",
        "drawing--stub",
        "drawing--note",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move('up')", "Operand", show=False, tooltip="Move along an edge"),
        Binding("down", "move('down')", "Result", show=False, tooltip="Move along an edge"),
        Binding("left", "move('left')", "Sibling", show=False, tooltip="Move to a neighbouring box"),
        Binding("right", "move('right')", "Sibling", show=False, tooltip="Move to a neighbouring box"),
        Binding("v", "flip", "Flip", tooltip="Draw top-down or left-to-right"),
        Binding("plus,equals_sign", "radius(1)", "k+", show=False, tooltip="One edge more around the node"),
        Binding("minus", "radius(-1)", "k-", show=False, tooltip="Show one edge less around the node"),
        Binding("shift+up", "scroll_up", "Scroll", show=False),
        Binding("shift+down", "scroll_down", "Scroll", show=False),
        Binding("shift+left", "scroll_left", "Scroll", show=False),
        Binding("shift+right", "scroll_right", "Scroll", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_home", "Home", show=False),
        Binding("end", "scroll_end", "End", show=False),
    ]

    #: top-down ("td") or left-to-right ("lr")
    orientation: var[str] = var(TOP_DOWN, init=False)
    #: neighbourhood radius in edges, for graphs above ``limit`` nodes
    k: var[int] = var(2, init=False)

    def __init__(
        self,
        *,
        limit: int = FULL_LIMIT,
        id: str | None = None,
        classes: str | None = None,
        lazy: bool = False,
    ) -> None:
        """``lazy``: while hidden, draw nothing (see :meth:`_hidden_change`)."""
        super().__init__(id=id, classes=classes)
        self.limit = limit
        self.lazy = lazy
        self.stepper: Stepper | None = None
        self.selected: int | None = None
        self.touched: int | None = None
        self.drawing: Drawing | None = None
        self.picture: Picture | None = None
        self._note = ""
        self._generation = 0  # bumped for every layout asked for; stale results are dropped
        self._item_edges: list[list[int]] = []  # item -> edges touching it
        self._styles: dict[str, Style] = {}
        self._stale = False  # changed while hidden: drawn again when next shown

    # ---- down: the GraphView protocol ---------------------------------------------

    def show(self, stepper: Stepper) -> None:
        """Draw ``stepper``'s graph (a new graph, or the same one after a big change)."""
        self.stepper = stepper
        if self.selected is None or self.selected >= len(stepper.graph.nodes):
            self.selected = stepper.output
        self._relayout()

    @property
    def is_on_screen(self) -> bool:
        return self.is_mounted and self.display and self.region.area > 0

    def _hidden_change(self) -> bool:
        """While the view is not on screen (another tab is), a change only marks it stale:
        the drawing is made again, with the numbers of that moment, when it is shown."""
        if not self.lazy or self.is_on_screen:
            return False
        self._stale = True
        self._generation += 1  # a layout still running is for the old state
        self.drawing = self.picture = None
        self._note = ""
        return True

    def prepare(self) -> None:
        """Draw now what changed while the view was hidden (before its tab is shown)."""
        if self._stale:
            self._stale = False
            self._relayout(force=True)

    def on_show(self) -> None:
        self.prepare()

    def refresh_nodes(self, changed: Iterable[int] | None) -> None:
        """Refill the boxes of ``changed`` nodes (all when ``None``) with the stepper's numbers."""
        drawing, picture, stepper = self.drawing, self.picture, self.stepper
        if drawing is None or picture is None or stepper is None:
            return
        if self._hidden_change():
            return
        scene = drawing.scene
        if changed is None:
            items: Iterable[int] = range(len(scene.items))
        else:
            items = [scene.item_of[i] for i in changed if i in scene.item_of]
        self._refill(items)
        self.refresh()

    def _refill(self, items: Iterable[int]) -> None:
        """Rewrite the boxes of ``items`` (scene items) with the stepper's numbers, what an
        open quiz question asks about masked."""
        drawing, picture = self.drawing, self.picture
        if drawing is None or picture is None:
            return
        from cgtui.draw.render import refill

        scene = drawing.scene
        items = list(items)
        values, partials = self._numbers()
        texts = {}
        for it in items:
            lines = drawing.lines(it, values, partials)
            item = scene.items[it]
            if item.node in self.mask.kinds and not item.stub and not item.more:
                # a leaf's second line is its kind
                lines = [
                    (explain.MASKED if k == 1 and role == TEXT else text, role)
                    for k, (text, role) in enumerate(lines)
                ]
            texts[it] = lines
        refill(picture, drawing.layout, texts, items)

    def set_touched(self, index: int | None) -> None:
        self.touched = index
        if not self.lazy or self.is_on_screen:  # else drawn with it when shown
            self.refresh()

    def select(self, index: int) -> None:
        if self.stepper is None or not 0 <= index < len(self.stepper.graph.nodes):
            return
        if index == self.selected and self.drawing is not None:
            return
        self.selected = index
        drawing = self.drawing
        if drawing is not None and drawing.scene.partial and index not in drawing.scene.item_of:
            if not self._hidden_change():
                self._relayout()  # outside the neighbourhood: draw the one around it
            return
        self._reveal()
        self.refresh()

    # ---- layout ---------------------------------------------------------------------

    def watch_orientation(self) -> None:
        self._relayout()

    def watch_k(self) -> None:
        if self.drawing is not None and self.drawing.scene.partial:
            self._relayout()

    def _scene(self) -> Any:
        assert self.stepper is not None
        graph = self.stepper.graph
        if len(graph.nodes) <= self.limit:
            return full_scene(graph)
        centre = self.selected if self.selected is not None else self.stepper.output
        return neighbourhood_scene(graph, centre, self.k)

    def _relayout(self, *, force: bool = False) -> None:
        """Lay the drawing out again (not while hidden, unless ``force``)."""
        if self.stepper is None or (not force and self._hidden_change()):
            return
        self._generation += 1
        scene = self._scene()
        if len(scene.items) <= WORKER_ITEMS:
            mark = self.texts.box_mark
            drawing = Drawing.build(scene.graph, self.orientation, scene=scene, partial_prefix=mark)
            self._install(drawing, self._generation)
        else:
            self._note = f"laying out {len(scene.items)} boxes…"
            self.refresh()
            load_numpy()  # in the app's thread, before a worker could be the first to use it
            self._layout_in_thread(scene, self.orientation, self._generation, self.texts.box_mark)

    @work(thread=True, exclusive=True, group="drawing-layout")
    def _layout_in_thread(self, scene: Any, orientation: str, generation: int, mark: str) -> None:
        drawing = Drawing.build(scene.graph, orientation, scene=scene, partial_prefix=mark)
        self.app.call_from_thread(self._install, drawing, generation)

    def _install(self, drawing: Drawing, generation: int) -> None:
        if generation != self._generation:
            return  # a newer layout was asked for meanwhile
        self.drawing = drawing
        scene = drawing.scene
        self._item_edges = [[] for _ in scene.items]
        for e, edge in enumerate(scene.edges):
            self._item_edges[edge.src].append(e)
            self._item_edges[edge.dst].append(e)
        values, partials = self._numbers()
        self.picture = drawing.picture(values, partials)
        if self.mask:
            self._refill(scene.item_of[i] for i in self.mask.nodes() if i in scene.item_of)
        if scene.partial:
            centre = short_name(scene.graph.nodes[scene.centre].name) if scene.centre is not None else "?"
            cut = ", cut short" if scene.truncated else ""
            self._note = (
                f"{len(scene.graph.nodes)} nodes: {scene.k} edges around {centre}{cut} "
                "(+/- to change, move onto a stub to go on)"
            )
        else:
            self._note = ""
        top = 1 if self._note else 0
        self.virtual_size = Size(drawing.layout.cols, drawing.layout.rows + top)
        self._reveal()
        self.refresh()

    def _numbers(self) -> tuple[list[Any], list[Any]]:
        stepper = self.stepper
        assert stepper is not None
        return self.texts.box_numbers(stepper, self.mask)

    # ---- up: moving the selection -------------------------------------------------------

    def _box_of(self, index: int | None) -> Any:
        if index is None or self.drawing is None:
            return None
        it = self.drawing.scene.item_of.get(index)
        return None if it is None else self.drawing.layout.boxes[it]

    def _reveal(self) -> None:
        box = self._box_of(self.selected)
        if box is None:
            return
        top = 1 if self._note else 0
        self.scroll_to_region(
            Region(box.left, box.top + top, box.width, box.height), animate=False, force=True
        )

    def action_move(self, direction: str) -> None:
        target = self.neighbour(direction)
        if target is not None:
            self._choose(target)

    def neighbour(self, direction: str) -> int | None:
        """The node reached from the selected one by an arrow key, or None."""
        drawing, selected = self.drawing, self.selected
        if drawing is None or selected is None:
            return None
        scene, boxes = drawing.scene, drawing.layout.boxes
        me = scene.item_of.get(selected)
        if me is None:
            return None
        td = drawing.layout.orientation == TOP_DOWN
        upstream, downstream = ("up", "down") if td else ("left", "right")
        here = boxes[me]
        centre = (here.left + here.width / 2, here.top + here.height / 2)

        def across(it: int) -> float:  # distance across the flow from the selected box
            b = boxes[it]
            return abs((b.left + b.width / 2) - centre[0]) if td else abs((b.top + b.height / 2) - centre[1])

        if direction in (upstream, downstream):
            ends = [
                (e.src if direction == upstream else e.dst)
                for e in scene.edges
                if (e.dst if direction == upstream else e.src) == me
            ]
            if not ends:
                return None
            it = min(ends, key=lambda t: (across(t), t))
            return scene.items[it].node
        rank = drawing.layout.ranks[me]
        same = [t for t in range(len(scene.items)) if drawing.layout.ranks[t] == rank and t != me]
        forward = direction in ("right", "down")

        def pos(it: int) -> int:
            return boxes[it].left if td else boxes[it].top

        mine = pos(me)
        side = [t for t in same if (pos(t) > mine if forward else pos(t) < mine)]
        if not side:
            return None
        it = min(side, key=lambda t: abs(pos(t) - mine))
        return scene.items[it].node

    def _choose(self, index: int) -> None:
        self.select(index)
        self.post_message(GraphView.NodeChosen(index))

    def on_click(self, event: events.Click) -> None:
        drawing = self.drawing
        if drawing is None:
            return
        top = 1 if self._note else 0
        col = int(event.x + self.scroll_offset.x)
        row = int(event.y + self.scroll_offset.y) - top
        it = drawing.layout.item_at(row, col)
        if it is not None:
            self.focus()
            self._choose(drawing.scene.items[it].node)

    def action_flip(self) -> None:
        self.orientation = LEFT_RIGHT if self.orientation == TOP_DOWN else TOP_DOWN

    def action_radius(self, delta: int) -> None:
        self.k = max(0, min(12, self.k + delta))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "radius":
            return True if self.drawing is not None and self.drawing.scene.partial else None
        return True

    # ---- drawing --------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(name, partial=True)
        return style

    def _cell_style(self, tag: int) -> Style:
        drawing, stepper = self.drawing, self.stepper
        assert drawing is not None and stepper is not None
        index, role = divmod(tag, ROLES)
        scene = drawing.scene
        if role in (EDGE, ARROW):
            edge = scene.edges[index]
            ends = (scene.items[edge.src], scene.items[edge.dst])
            if self.touched is not None and any(not t.stub and t.node == self.touched for t in ends):
                return self._style("drawing--edge-hot")
            if any(not t.stub and t.node == self.selected for t in ends):
                return self._style("drawing--edge-selected")
            return self._style("drawing--edge") if role == EDGE else Style()
        if role == 0:
            return Style()
        item = scene.items[index]
        if item.stub:
            style = self._style("drawing--stub")
        else:
            i = item.node
            kind = explain.kind_key(stepper, i, self.mask)
            if role == NAME:
                style = self._style(f"kind--{kind}")
            elif role == BORDER:  # the frame and the padding inside it: colour, no underline
                style = self._style(f"kind--{kind}")
                if style.underline:
                    style += NO_UNDERLINE
            else:
                style = Style()
            if role == VALUE:
                style = self._style("drawing--value")
            elif role == PARTIAL:
                style = self._style("drawing--partial")
            if i == self.touched:
                style += self._style("node--touched")
            if i == self.selected:
                style += self._style("drawing--selected")
        return style

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        row = y + scroll_y
        picture = self.picture
        top = 1 if self._note else 0
        if self._note and row == 0:
            return (
                Strip([Segment(self._note, base + self._style("drawing--note"))])
                .crop_extend(scroll_x, scroll_x + width, base)
                .simplify()
            )
        row -= top
        if picture is None or not 0 <= row < len(picture.lines):
            return Strip.blank(width, base)
        line = picture.lines[row]
        segments: list[Segment] = []
        first: int | None = None  # where the first visible run starts
        for start, end, tag in picture.spans(row):
            if end <= scroll_x:
                continue
            if start >= scroll_x + width:
                break
            if first is None:
                first = start
            segments.append(Segment(line[start:end], base + self._cell_style(tag)))
        if first is None:
            return Strip.blank(width, base)
        return Strip(segments).crop_extend(scroll_x - first, scroll_x - first + width, base)

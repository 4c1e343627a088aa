"""The side pane: everything about the selected node, from its definition to the paths.

The pane is one scrolling view of rows, as the step log is, and its sections are runs of
those rows. A step changes how many lines a section has at nearly every step (one line per
term of the partial, per path, per edge), and Textual lays out the whole screen when a
widget's height changes (5-7 ms on a big graph, then every section below it drawn again).
Here a section that grows or shrinks moves the rows below it, the pane takes its new length
without a layout, and a frame draws the rows that changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import work
from textual.containers import Vertical
from textual.content import Content
from textual.css.styles import RulesMap
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.timer import Timer
from textual.visual import RenderOptions
from textual.worker import get_current_worker

from cgtui.app import explain
from cgtui.app.scrollbars import QuietBars
from cgtui.app.views import KeptRows, SteadyScroll
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph
from cgtui.core.lazy import load_numpy
from cgtui.engine.engine import Status, Stepper
from cgtui.engine.jacobian import pass_counts
from cgtui.engine.paths import Cancelled
from cgtui.teach.directions import jacobian_cost_lines

#: Seconds between a selection and the start of its paths computation.
PATHS_DELAY = 0.2

#: The same for a graph's first node (nobody is stepping past it yet).
FIRST_PATHS_DELAY = 0.01

#: Graphs up to this many nodes have the whole Jacobian's cost counted at once (about 15 ms
#: for 10,000 nodes: less than the layout of the screen that a count arriving later asks
#: for); bigger ones in a worker.
JACOBIAN_AT_ONCE = 20_000


@dataclass(repr=False)
class PathsJob:
    """A snapshot of what the paths section needs, so a worker thread can compute it
    while the user keeps stepping."""

    generation: int
    graph: Graph
    values: list[Any]
    output: int
    index: int
    partial: Any
    final: bool
    on_path: bool
    needs: bool
    forward_complete: bool
    masked: bool = False  # an open quiz question asks about these paths

    def __repr__(self) -> str:  # workers describe their arguments: keep it short
        return f"PathsJob(node {self.index}, generation {self.generation})"


#: The pane's sections, top to bottom: name, style ("title", "heading" or "text": the
#: component class of its rows) and the blank rows above it.
PARTS = (
    ("title", "title", 0),
    ("definition", "text", 0),
    ("tensor", "text", 0),  # an array-valued node's value and partial as tables
    ("edges-title", "heading", 1),
    ("edges", "text", 0),
    ("acc-title", "heading", 1),
    ("accumulation", "text", 0),
    ("paths-title", "heading", 1),
    ("paths", "text", 0),
    ("jacobian", "text", 1),  # the whole Jacobian's cost by either direction
)

HEADINGS = {
    "edges-title": "Local derivatives of the incoming edges",
    "acc-title": "Partial and how backprop builds it",
    "paths-title": "Chain rule as a sum over paths",
}

#: What a leaf leaves out (it has no incoming edges: its definition says so).
LEAF_HIDES = frozenset({"edges-title", "edges"})

#: What the quiz hides (``Screen.-quiz``): the numbers its questions ask.
QUIZ_HIDES = frozenset({"edges-title", "edges", "acc-title", "accumulation", "paths-title", "paths"})


@dataclass(eq=False)
class _Part:
    """A section of the pane: its text, and the rows made from it for a width and style."""

    name: str
    role: str
    gap: int
    text: str | Text = ""
    key: str = ""  # the text's plain string
    shown: bool = True
    held: int = 0  # a placeholder's rows: '…' over blank rows (0: the text's own)
    made_for: tuple[object, ...] | None = None
    rows: list[Strip] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)


class SideColumn(Vertical):
    """The column of the side pane (and the quiz above it in quiz mode); ``z`` maximises it."""

    ALLOW_MAXIMIZE = True


class SidePane(QuietBars, SteadyScroll, ScrollView):
    """Definition, local derivatives, accumulation, paths and cost for one node.

    A leaf has no incoming edges: its local-derivative section folds into its definition.
    Once the backward pass has begun, the pane keeps what a backward step changes (the
    partial, its terms and the sum over paths) in view: when the pane down to the paths
    does not fit, it scrolls to the partial's heading.

    Text in the pane can be selected and copied, as in the step log.
    """

    ALLOW_MAXIMIZE = True
    COMPONENT_CLASSES: ClassVar[set[str]] = {"side-pane--title", "side-pane--heading"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._styles_cache = KeptRows()  # a section that grows moves the rows below it
        self.stepper: Stepper | None = None
        self.node_index: int | None = None
        #: What an open quiz question asks about (hidden until it is answered).
        self.mask = explain.NO_MASK
        self._generation = 0  # of the latest selection; its paths are shown when
        self._shown_generation = 0  # this catches up
        self._pending: Timer | None = None
        self._parts = {name: _Part(name, role, gap) for name, role, gap in PARTS}
        for name, heading in HEADINGS.items():
            self._put(name, heading)
        self._leaf = False
        #: The whole pane's rows (with their plain text) for :attr:`_width`, and each shown
        #: part's rows: (the first of its gap above, its first, the one after its last).
        self._rows: list[Strip] = []
        self._plain: list[str] = []
        self._spans: dict[str, tuple[int, int, int]] = {}
        self._width = 0
        self._blank: Strip | None = None
        self._drawing = False  # (in :meth:`render_lines`)
        #: The whole Jacobian's cost by either direction (forward: n passes, reverse: m),
        #: for the graph and kinds it was counted for.
        self._jacobian_for: tuple[Graph, list[bool]] | None = None

    # -- what the pane shows ---------------------------------------------------------------

    def text(self, part: str) -> str:
        """The text of section ``part`` (``'paths'``, ``'accumulation'``...), or '' when the
        pane does not show it."""
        return self._parts[part].key if self._visible(self._parts[part], self._quiz()) else ""

    def rows_of(self, part: str) -> tuple[int, int] | None:
        """The rows of the pane's content that section ``part`` takes (first, one past the
        last), or None when the pane does not show it."""
        span = self._spans.get(part)
        return None if span is None else (span[1], span[2])

    def show(self, stepper: Stepper, index: int) -> None:
        """Show node ``index``; the paths section follows from a worker (at once for a
        graph's first node, :data:`PATHS_DELAY` later for the nodes a user steps through),
        unless there are no paths to follow (the output itself, a node off every path or
        constant, a quiz question about them): those are shown with the rest."""
        first = self.stepper is None or self.stepper.graph is not stepper.graph
        self.stepper = stepper
        self.node_index = index
        g = stepper.graph
        node = g.nodes[index]
        kind = explain.MASKED if index in self.mask.kinds else explain.kind_key(stepper, index)
        self._put("title",
            f"{node.name}  ({kind}{', ' + node.op if node.op else ''})  {stepper.status(index).value}"
        )
        imported = explain.imported_lines(stepper, index, self.mask)
        self._put("definition", "\n".join([explain.definition(stepper, index, self.mask), *imported]))
        self._show_tensor(stepper, index)
        self._show_edges()
        self._leaf = node.op is None
        acc = explain.accumulation(stepper, index, self.mask)
        lines = [acc.heading]
        lines += [("  ✓ done    " if t.done else "  … pending ") + t.text for t in acc.terms]
        if acc.total:
            lines.append(acc.total)
        self._put("accumulation", "\n".join(lines))
        self._generation += 1
        job = PathsJob(
            self._generation,
            g,
            list(stepper.values),
            stepper.output,
            index,
            stepper.partials[index],
            stepper.status(index) is Status.FINAL,
            stepper.path[index],
            stepper.needs[index],
            stepper.forward_complete,
            index in self.mask.paths,
        )
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
        if job.masked or index == job.output or not job.on_path or not job.needs:
            self._show_paths(job.generation, _paths_text(job))  # nothing to follow
        else:
            # a placeholder as tall as the last paths text: the sections below stay where
            # they are until the new paths arrive
            paths = self._parts["paths"]
            self._hold(paths, len(paths.rows) or paths.key.count("\n") + 1)
            # start the paths worker once the step is on screen; a newer selection replaces it
            delay = FIRST_PATHS_DELAY if first else PATHS_DELAY
            self._pending = self.set_timer(delay, lambda: self._start_paths(job))
        self._show_jacobian(stepper)
        self._arrange()

    def _put(self, name: str, content: str | Text) -> None:
        """Section ``name``'s new text (its rows are made again when it changes)."""
        part = self._parts[name]
        key = content.plain if isinstance(content, Text) else content
        if key != part.key or part.held or isinstance(content, Text) != isinstance(part.text, Text):
            part.text, part.key, part.held = content, key, 0

    def _hold(self, part: _Part, rows: int) -> None:
        """'…' in ``part``, keeping ``rows`` rows, while its text is computed."""
        if part.held != rows or part.key != "…":
            part.text, part.key, part.held = "…", "…", max(1, rows)

    def _show_tensor(self, stepper: Stepper, index: int) -> None:
        """The tensor section: shown for an array-valued node (or one with array operands)."""
        # all its numbers; the stepper keeps the graph's has_arrays (a scan of every node)
        hidden = index in self.mask.nodes() or not stepper.arrays
        if self.mask and stepper.graph.nodes[index].op is not None and stepper.values[index] is None:
            hidden = True  # its shapes are worked out ahead, and a quiz question may ask one
        width = self.size.width or 40
        lines: list[str] = []
        if not hidden:
            from cgtui.app import tensor_view  # loaded for array graphs only (with cgtui.draw)

            lines = tensor_view.tensor_lines(stepper, index, width - 1)
        self._parts["tensor"].shown = bool(lines)
        if lines:
            self._put("tensor", "\n".join(lines))

    def _show_jacobian(self, stepper: Stepper) -> None:
        """The efficiency section's last lines: what the whole Jacobian costs by forward
        mode (n passes) and by reverse mode (m), and which is cheaper. Counted again only
        for a new graph or new kinds (``Stepper.needs`` is a new list then); in a worker
        for a graph above :data:`JACOBIAN_AT_ONCE` nodes (a sweep over a big graph costs a
        tenth of a second)."""
        done = self._jacobian_for
        if done is not None and done[0] is stepper.graph and done[1] is stepper.needs:
            return
        self._jacobian_for = (stepper.graph, stepper.needs)
        if len(stepper.graph.nodes) <= JACOBIAN_AT_ONCE:
            self._put("jacobian", _jacobian_text(stepper.graph))
        else:
            load_numpy()  # in the app's thread, before a worker could be the first to use it
            self.count_jacobian(stepper.graph, stepper.needs)

    @work(thread=True, exclusive=True, group="jacobian", description="whole Jacobian's cost")
    def count_jacobian(self, graph: Graph, needs: list[bool]) -> None:
        text = _jacobian_text(graph)
        self.app.call_from_thread(self._set_jacobian, graph, needs, text)

    def _set_jacobian(self, graph: Graph, needs: list[bool], text: str) -> None:
        done = self._jacobian_for
        if done is not None and done[0] is graph and done[1] is needs:
            self._put("jacobian", text)
            self._arrange()

    def _show_edges(self) -> None:
        """The local-derivative table: one aligned line per edge when the pane is wide enough,
        else the value under its formula (a wrapped line would split the columns)."""
        stepper, index = self.stepper, self.node_index
        if stepper is None or index is None:
            return
        rows = explain.edge_rows(stepper, index, self.mask)
        if not rows:
            self._put("edges", Text("a leaf: no incoming edges"))
            return
        # an aligned plain-text table: cheaper to lay out than a Rich Table
        header = ("Edge", "Local derivative", "value")
        cells = [header, *((r.edge, r.formula, r.value) for r in rows)]
        w0 = max(len(c[0]) for c in cells)
        w1 = max(len(c[1]) for c in cells)
        w2 = max(len(c[2]) for c in cells)
        width = self.size.width
        if not width or w0 + w1 + w2 + 4 <= width:
            lines = [f"{a.ljust(w0)}  {b.ljust(w1)}  {c.rjust(w2)}" for a, b, c in cells]
        else:
            indent = " " * (w0 + 2)
            lines = [f"{'Edge'.ljust(w0)}  Local derivative, value"]
            for a, b, c in cells[1:]:
                value = c if not c[:1].isdigit() and not c.startswith(("-", "?", "[")) else f"= {c}"
                lines += [f"{a.ljust(w0)}  {b}", f"{indent}{value}"]
        text = Text("\n".join(lines))
        text.stylize("bold", 0, len(lines[0]))
        self._put("edges", text)

    def _start_paths(self, job: PathsJob) -> None:
        load_numpy()  # in the app's thread, before a worker could be the first to use it
        self.compute_paths(job)

    @work(thread=True, exclusive=True, group="paths", description="sum over paths")
    def compute_paths(self, job: PathsJob) -> None:
        worker = get_current_worker()
        try:
            text = _paths_text(job, cancel=lambda: worker.is_cancelled)  # a newer selection, or quitting
        except Cancelled:
            return
        self.app.call_from_thread(self._paths_arrived, job.generation, text)

    def _paths_arrived(self, generation: int, text: str) -> None:
        if self._show_paths(generation, text):
            self._arrange()

    def _show_paths(self, generation: int, text: str) -> bool:
        if generation != self._generation:
            return False
        self._shown_generation = generation
        self._put("paths", text)
        return True

    @property
    def paths_ready(self) -> bool:
        """Whether the paths section shows the latest selection (not still computing)."""
        return self._shown_generation == self._generation

    # -- rows ------------------------------------------------------------------------------

    def _quiz(self) -> bool:
        """Whether a quiz is open (its screen class hides :data:`QUIZ_HIDES`)."""
        return self.is_attached and self.screen.has_class("-quiz")

    def _visible(self, part: _Part, quiz: bool) -> bool:
        if not part.shown or (self._leaf and part.name in LEAF_HIDES):
            return False
        return not (quiz and part.name in QUIZ_HIDES)

    def _make_rows(self, width: int) -> None:
        """The pane's rows for ``width``: each shown part's, made again only when its text,
        the width or its style changed (its rows stay the same objects otherwise: a frame
        draws again only the rows that changed)."""
        styles = {
            "text": self.visual_style,
            "title": self.get_visual_style("side-pane--title"),
            "heading": self.get_visual_style("side-pane--heading"),
        }
        short = self.is_attached and self.screen.has_class("-short")
        quiz = self._quiz()
        blank = self._blank
        if blank is None or blank.cell_length != width:
            blank = self._blank = self._blank_for(width)
        rows: list[Strip] = []
        plain: list[str] = []
        spans: dict[str, tuple[int, int, int]] = {}
        for part in self._parts.values():
            if not self._visible(part, quiz):
                continue
            gap = 0 if not rows or (short and part.role == "heading") else part.gap
            top = len(rows)
            rows += [blank] * gap
            plain += [""] * gap
            self._make_part(part, width, styles[part.role], blank)
            rows += part.rows
            plain += part.plain
            spans[part.name] = (top, top + gap, len(rows))
        self._rows, self._plain, self._spans, self._width = rows, plain, spans, width

    def _blank_for(self, width: int) -> Strip:
        return Strip.blank(width, self.visual_style.rich_style)

    def _make_part(self, part: _Part, width: int, style: VisualStyle, blank: Strip) -> None:
        made_for = (part.key, part.held, isinstance(part.text, Text), width, style)
        if part.made_for == made_for:
            return
        text = part.text
        content = Content.from_rich_text(text) if isinstance(text, Text) else Content(text)
        options = RenderOptions(self._get_style, cast(RulesMap, self.styles))  # (as Static's)
        rich_style = style.rich_style
        strips = [
            strip.extend_cell_length(width, rich_style).crop(0, width)
            for strip in content.render_strips(width, None, style, options)
        ] or [blank]
        part.plain = [strip.text.rstrip() for strip in strips]
        if part.held > 1:
            strips += [blank] * (part.held - 1)
            part.plain += [""] * (part.held - 1)
        part.rows, part.made_for = strips, made_for

    def _arrange(self) -> None:
        """The rows for the pane's width, its content's new length (no layout of the screen:
        see :class:`QuietBars`), the scroll that keeps the partial in view, and a repaint of
        the rows that changed."""
        width = self.size.width
        if not width or not self.is_attached:
            return  # the first layout gives the width; :meth:`on_resize` comes then
        old = self._rows if self._width == width else []
        self._make_rows(width)
        with self.quietly():
            size = Size(width, len(self._rows))
            if size != self.virtual_size:
                self.set_virtual_size_quietly(size)
            scrolled = self._keep_partial_in_view()
        if not scrolled:
            self._repaint_changed(old)

    def _keep_partial_in_view(self) -> bool:
        """During the backward pass, scroll so the partial's heading starts the pane when the
        pane down to the paths does not fit (the whole Jacobian's cost below them is for
        the graph, not the node, and may wait for a scroll), and to the top when it does;
        otherwise keep the scroll within the content. Whether the pane scrolled (a repaint
        of all of it)."""
        height = self.size.height
        target = min(round(self.scroll_y), max(0, len(self._rows) - height))
        stepper, title, paths = self.stepper, self._spans.get("acc-title"), self._spans.get("paths")
        if stepper is not None and stepper.backward_pos > 0 and title is not None and paths is not None:
            target = min(title[0] if paths[2] > height else 0, max(0, len(self._rows) - height))
        if target == round(self.scroll_y):
            return False
        self.scroll_target_y = self.scroll_y = target
        return True

    def _repaint_changed(self, old: list[Strip]) -> None:
        """Repaint the rows on screen that are not the rows drawn before."""
        new, top = self._rows, round(self.scroll_y)
        bottom = top + self.size.height
        start = None
        for y in range(top, bottom):
            same = (y < len(new) and y < len(old) and new[y] is old[y]) or (y >= len(new) and y >= len(old))
            if not same and start is None:
                start = y
            elif same and start is not None:
                self.refresh_lines(start, y - start)
                start = None
        if start is not None:
            self.refresh_lines(start, bottom - start)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._drawing = True
        try:
            return super().render_lines(crop)
        finally:
            self._drawing = False

    def render_line(self, y: int) -> Strip:
        """Row ``y`` on screen. Drawn, a row is the part's own strip (a row that moved is
        styled once: :class:`KeptRows`); asked for by Textual's text selection (outside a
        frame), it carries its place in the pane's text."""
        width = self.size.width
        if width != self._width:  # a layout gave a new width: :meth:`on_resize` follows
            self._make_rows(width)
        row = round(self.scroll_y) + y
        if row >= len(self._rows):
            return self._blank or self._blank_for(width)
        strip = self._rows[row]
        selection = self.text_selection
        if selection is not None:
            strip = self._selected(row, strip, selection)
        elif self._drawing:
            return strip
        return strip.apply_offsets(0, row)

    def _selected(self, row: int, strip: Strip, selection: Selection) -> Strip:
        span = selection.get_span(row)
        if span is None:
            return strip
        start, end = span
        end = len(self._plain[row]) if end == -1 else end
        style = self.screen.get_component_rich_style("screen--selection")
        picked = strip.crop(start, end)
        middle = Strip([Segment(text, (seg or Style()) + style, ctl) for text, seg, ctl in picked])
        return Strip.join([strip.crop(0, start), middle, strip.crop(end, strip.cell_length)])

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        return selection.extract("\n".join(self._plain)), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()

    def on_resize(self) -> None:
        self._show_edges()  # the table's form follows the pane's width
        self._arrange_all()

    def notify_style_update(self) -> None:
        """A new theme, or a screen class (the quiz, a short screen) that shows or hides
        sections: the rows are made again."""
        super().notify_style_update()
        self._blank = None
        if self.is_attached and self._width:
            self.call_later(self._arrange_all)

    def _arrange_all(self) -> None:
        self._arrange()
        self.refresh()


def _jacobian_text(graph: Graph) -> str:
    return "\n".join(jacobian_cost_lines(pass_counts(graph)))


def _paths_text(job: PathsJob, cancel: Callable[[], bool] | None = None) -> str:
    """The paths section's text for ``job``."""
    if job.masked:
        return f"paths: {explain.MASKED}"
    try:
        view = explain.paths_view_of(
            job.graph,
            job.values,
            job.output,
            job.index,
            partial=job.partial if job.final else None,
            on_path=job.on_path,
            needs=job.needs,
            forward_complete=job.forward_complete,
            cancel=cancel,
        )
    except CgtuiError as exc:
        return f"cannot follow the paths: {exc}"
    summary = " · ".join(part for part in (view.count, view.cost) if part)
    return "\n".join(part for part in (view.heading, *view.lines, view.total, view.check, summary) if part)

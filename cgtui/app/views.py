"""The graph views: a tree rooted at the output and a table in topological order.

Both follow one protocol, :class:`GraphView`, so the app treats them (and the drawing view
of ``cgtui/app/drawing.py``) alike: the app sets attributes and calls methods going down,
a view posts :class:`GraphView.NodeChosen` going up when the user moves to a node.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import ClassVar, Self, cast

from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import TerminalTheme
from rich.text import Text
from textual import events
from textual._styles_cache import StylesCache
from textual.cache import LRUCache
from textual.color import Color
from textual.content import Content
from textual.coordinate import Coordinate
from textual.css.styles import StylesBase
from textual.geometry import Offset, Region, Size, Spacing
from textual.message import Message
from textual.reactive import Reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.style import Style as TextualStyle
from textual.widget import Widget
from textual.widgets import DataTable, Tree
from textual.widgets._tree import _TreeLine
from textual.widgets.tree import TreeNode

from cgtui.app import explain
from cgtui.app.scrollbars import quick_vertical_scrollbar
from cgtui.engine.engine import Stepper

KIND_CLASSES = {f"kind--{k}" for k in explain.KIND_TAGS} | {"node--touched"}

#: Marks the node a step just touched, so it shows without colour too (not ``▶``: that is
#: the tree's glyph for a collapsed branch).
TOUCHED_MARK = "◆ "

#: What the table's name cells start with when not touched: the column keeps its width.
UNTOUCHED = " " * len(TOUCHED_MARK)

#: Rows added to the table at a time.
TABLE_CHUNK = 200

#: The tree follows the selection only this deep; deeper lines open by hand (or enter on a
#: reference), since drawing a line costs time in proportion to its depth.
MAX_FOLLOW_DEPTH = 60

#: F and B open the tree down to the selected node up to this deep (Textual's tree keeps
#: each line's path from the root: a deeper line costs more than one key's frame).
MAX_REVEAL_DEPTH = 1000

#: The tree expands this many nodes when a graph opens; deeper branches open on demand.
INITIAL_TREE_NODES = 60

#: Tree labels kept drawn (a few screens of lines) before the cache starts again.
LABEL_CACHE_SIZE = 2000

#: Tree lines kept drawn, the least recently drawn going first (each line is kept twice:
#: for its look, and padded to the widget's width).
DRAWN_LINES = 2000

#: Styled rows a widget keeps for the lines they were made from (:class:`KeptRows`)
KEPT_ROWS = 1000


class GraphView:
    """What the app expects of a graph view (a mixin for :class:`~textual.widget.Widget`).

    Down (called by the app): :meth:`show` with a new stepper (new graph or big change),
    :meth:`refresh_nodes` after a step with the nodes whose state changed (``None``: all),
    :meth:`set_touched` with the node a step just touched, :meth:`select` to move the
    cursor to a node, :meth:`set_mask` with what an open quiz question asks about (shown as
    :data:`~cgtui.app.explain.MASKED` until it is answered); :attr:`texts` says what the
    numbers are (forward mode's tangents, or reverse mode's partials). Up: post
    :class:`GraphView.NodeChosen` when the user picks a node.
    """

    mask: explain.Mask = explain.NO_MASK
    #: What the view writes for a node (reverse mode's value and partial unless set to
    #: another :class:`~cgtui.app.explain.NodeTexts` before :meth:`show`).
    texts: explain.NodeTexts = explain.REVERSE_TEXTS

    class NodeChosen(Message):
        """The user moved to node ``index`` in a graph view.

        ``user`` is False when the view moved because the app told it to (it had no focus),
        so the app can ignore the echo.
        """

        def __init__(self, index: int, user: bool = True) -> None:
            super().__init__()
            self.index = index
            self.user = user

    def show(self, stepper: Stepper) -> None:
        raise NotImplementedError

    def refresh_nodes(self, changed: Iterable[int] | None) -> None:
        raise NotImplementedError

    def set_touched(self, index: int | None) -> None:
        raise NotImplementedError

    def select(self, index: int) -> None:
        raise NotImplementedError

    def set_mask(self, mask: explain.Mask) -> None:
        """Hide ``mask``'s quantities (and show again what the previous mask hid)."""
        old, self.mask = self.mask, mask
        if old != mask:
            self.refresh_nodes(old.nodes() | mask.nodes())


class SteadyScroll:
    """Leaves out the scrollbar refresh Textual does for a scrolling view at every layout of
    the screen, when neither the view's size nor its content's changed (the refresh repaints
    the scrollbars in a frame of their own). A mixin for a ``ScrollView``, listed before it.
    Its vertical scrollbar is a :class:`~cgtui.app.scrollbars.QuickScrollBar`."""

    _laid_out: tuple[Size, Size, Size] | None = None

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        return quick_vertical_scrollbar(cast(Widget, self))

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        view = cast(ScrollView, self)
        sizes = (size, view.virtual_size, container_size)
        if sizes == self._laid_out:
            return False
        self._laid_out = sizes
        return cast(bool, super()._size_updated(size, virtual_size, container_size, layout))  # type: ignore[misc]


class KindStyles:
    """The kind and touched styles of a widget's component classes, looked up once per theme."""

    def __init__(self) -> None:
        self._styles: dict[str, Style] = {}

    def style_of(self, widget: Widget, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = widget.get_component_rich_style(name, partial=True)
        return style

    def clear(self) -> None:
        self._styles.clear()


class KeptRows(StylesCache):
    """Textual's styles cache for a widget whose lines move (the tree scrolls at nearly
    every step late in a backward pass): Textual keeps a styled row for its place on the
    widget and styles every row again when the widget scrolls (its background, the colour
    filter's pass over the segments: about 0.1 ms a row). Here a styled row is kept for
    the line it was made from, while that line is the same object (the tree keeps its
    lines: see :meth:`GraphTree._render_line`) and the styles are the same; the row made
    is Textual's own. The rows stay when Textual empties its cache (at every scroll): a
    row is found again only for the same line and the same styles, sizes and colours.
    Only rows of content are kept: a row of a border, of padding or of an outline's top or
    bottom is styled as Textual styles it (it depends on its place). The step log uses it
    too (its new line scrolls every line up by one)."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: LRUCache[tuple[object, ...], tuple[Strip, Strip]] = LRUCache(KEPT_ROWS)

    def render_line(
        self,
        styles: StylesBase,
        y: int,
        size: Size,
        content_size: Size,
        padding: Spacing,
        base_background: Color,
        background: Color,
        render_content_line: Callable[[int], Strip],
        border_title: tuple[Content, Color, Color, TextualStyle] | None,
        border_subtitle: tuple[Content, Color, Color, TextualStyle] | None,
        opacity: float,
        ansi_theme: TerminalTheme,
        native_ansi: bool,
    ) -> Strip:
        args = (base_background, background)
        styles_key = getattr(styles, "_cache_key", None)  # (RenderStyles': it changes with any rule)
        content_y = y - styles.gutter.top
        (outline_top, _), _, (outline_bottom, _), _ = styles.outline
        if (
            styles_key is None
            or not 0 <= content_y < content_size.height  # a border's or padding's row
            or (outline_top and y == 0)
            or (outline_bottom and y == size.height - 1)
        ):
            return super().render_line(
                styles, y, size, content_size, padding, *args, render_content_line,
                border_title, border_subtitle, opacity, ansi_theme, native_ansi,
            )
        line = render_content_line(content_y)
        key = (id(line), styles_key, size, content_size, padding, *args, opacity, ansi_theme, native_ansi)
        kept = self._rows.get(key)
        if kept is not None and kept[0] is line:
            return kept[1]
        row = super().render_line(
            styles, y, size, content_size, padding, *args, lambda _: line,
            border_title, border_subtitle, opacity, ansi_theme, native_ansi,
        )
        self._rows[key] = (line, row)  # (the line kept with its row: its id stays its own)
        return row


@dataclass(frozen=True, slots=True)
class _Frame:
    """What the tree's lines read while a frame draws them (each a lookup through the
    widget's styles or reactives, for every line otherwise)."""

    width: int
    scroll: Offset
    has_focus: bool
    hover_line: int
    cursor_line: int


@dataclass(frozen=True, slots=True)
class Entry:
    """A tree line: node ``index``, or a reference to it when it is expanded elsewhere."""

    index: int
    ref: bool = False


class GraphTree(GraphView, SteadyScroll, Tree[Entry]):
    """The graph as a tree rooted at the output; children are a node's operands.

    A node used more than once is expanded at its first occurrence (in the tree's reading
    order) and shown as a reference everywhere else. Branches are built when opened.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = Tree.COMPONENT_CLASSES | KIND_CLASSES

    def __init__(self, *, id: str | None = None) -> None:
        self.stepper: Stepper | None = None
        self.touched: int | None = None
        self.kind_styles = KindStyles()
        #: What the next build splices (see :meth:`_splice`): the lines of the tree's last
        #: build and each one's width; the nodes whose branches changed since, while every
        #: change is one of :meth:`_changes` (None: the next build makes every line); and
        #: the nodes whose labels changed since.
        self._built_lines: list[_TreeLine[Entry]] | None = None
        self._widths: list[int] = []
        self._changing: TreeNode[Entry] | None = None
        self._changed: list[TreeNode[Entry]] | None = None
        self._restyled: dict[int, TreeNode[Entry]] = {}  # by Textual's node id
        super().__init__("graph", id=id)
        self.guide_depth = 3
        self.auto_expand = False  # a click or enter selects; space or a click on ▶/▼ folds
        self._lines: dict[int, TreeNode[Entry]] = {}  # canonical line of each built node
        self._refs: dict[int, list[TreeNode[Entry]]] = {}  # reference lines
        self._home: dict[int, tuple[int, int]] = {}  # node -> (parent node, slot) of its canonical line
        self._built: set[int] = set()  # nodes whose children are built
        #: each line's label and its width (see :meth:`get_label_width`), by Textual's node id
        self._label_widths: dict[int, tuple[Text, int]] = {}
        self._placed: TreeNode[Entry] | None = None  # the line select() last moved to
        self._line_style: Style | None = None  # the base style while lines are drawn
        self._guide_cache: dict[tuple[Style, bool, bool, int], tuple[str, str, str, str]] = {}
        self._frame_guides: tuple[tuple[Style, tuple[str, str, str, str]], ...] | None = None
        self._kinds: tuple[tuple[Style, tuple[str, str, str, str]], ...] | None = None
        self._kinds_for: tuple[int, ...] | None = None  # the pseudo-classes _kinds are for
        self._styles: dict[str, Style] | None = None  # the label's, for the same
        self._frame_styles: dict[str, Style] | None = None
        self._frame: _Frame | None = None  # while lines are drawn
        #: Each drawn line's label segments and width (see _label_segments).
        self._label_cache: dict[tuple[object, ...], tuple[list[Segment], int]] = {}
        #: The lines drawn, for their look and padded to a width (_render_line).
        self._drawn: LRUCache[tuple[object, ...], Strip] = LRUCache(DRAWN_LINES)
        self._styles_cache = KeptRows()

    # ---- down ---------------------------------------------------------------

    def show(self, stepper: Stepper) -> None:
        self.stepper = stepper
        self.clear()
        self._lines = {}
        self._refs = {}
        self._built = set()
        self._home = self._canonical_parents(stepper)
        root = self.root
        out = stepper.output
        root.data = Entry(out)
        root.set_label(Text(self.texts.tree_label(stepper, out, self.mask)))
        self._lines[out] = root
        root.allow_expand = bool(stepper.graph.nodes[out].operands)
        # open the first few levels breadth first
        queue = [root]
        budget = INITIAL_TREE_NODES
        while queue and budget > 0:
            line = queue.pop(0)
            self._grow(line)
            line.expand()
            budget -= len(line.children)
            queue.extend(c for c in line.children if c.allow_expand)
        self.move_cursor(root)

    def refresh_nodes(self, changed: Iterable[int] | None) -> None:
        stepper = self.stepper
        if stepper is None:
            return
        indices = list(self._lines) if changed is None else [i for i in changed if i in self._lines]
        for i in indices:
            line = self._lines[i]
            label = self.texts.tree_label(stepper, i, self.mask)
            # only when it changed: a new label repaints its line
            if not isinstance(line.label, Text) or line.label.plain != label:
                self._relabel(line, Text(label))

    def _refresh_line(self, line: int) -> None:
        """Repaint line ``line``: Textual's region is as wide as the widget, its vertical
        scrollbar included, and a frame then draws the whole scrollbar again for each line
        (it is the frontmost widget there); the lines' own width leaves it alone."""
        width = self.scrollable_content_region.width or self.size.width
        self.refresh(Region(0, line - self.scroll_offset.y, width, 1))

    def _refresh_node(self, node: TreeNode[Entry]) -> None:
        """Repaint the lines on screen under ``node`` (its guides change colour when the
        cursor comes or goes), as Textual does, in one refresh of each run of lines (not a
        refresh and a lookup of the widget's regions per line)."""
        scroll_y = self.scroll_offset.y
        width = self.scrollable_content_region.width or self.size.width
        visible = self._tree_lines[scroll_y : scroll_y + self.size.height]
        regions: list[Region] = []
        start = -1
        for y, line in enumerate([*visible, None]):
            if line is not None and node in line.path:
                if start < 0:
                    start = y
            elif start >= 0:
                regions.append(Region(0, start, width, y - start))
                start = -1
        if regions:
            self.refresh(*regions)

    def _relabel(self, line: TreeNode[Entry], label: Text) -> None:
        """Give ``line`` a new label and repaint that line alone.

        ``TreeNode.set_label`` repaints every visible line below the node as well (their
        guides may change with the cursor; a label does not change them): a new label at
        the output's line would repaint the whole tree at every step.
        """
        line._label = self.process_label(label)
        line._updates += 1  # the line's cached rendering is stale
        self._restyled[line._id] = line  # (its width, at the next build)
        if line._line >= 0:
            self._refresh_line(line._line)

    def set_touched(self, index: int | None) -> None:
        old, self.touched = self.touched, index
        for i in (old, index):
            if i is None:
                continue
            line = self._lines.get(i)
            if line is not None:
                line.refresh()
                self._restyled[line._id] = line  # (its width, with the mark or without)
            for ref in self._refs.get(i, ()):
                ref.refresh()
                self._restyled[ref._id] = ref

    def select(self, index: int) -> None:
        current = self.cursor_node
        if current is not None and current.data is not None and current.data.index == index:
            return
        line = self.reveal(index, MAX_FOLLOW_DEPTH)
        if line is not None:
            self._placed = line
            self.move_cursor(line, animate=False)

    def move_cursor(self, node: TreeNode[Entry] | None, animate: bool = False) -> None:
        """Textual's, after numbering the lines when a branch was just built or opened
        (the cursor goes to the node's line number, which until then is -1: the cursor
        would land on the root, and the selection follow it there)."""
        if node is not None and node._line < 0:
            _ = self._tree_lines  # numbers every line shown
        super().move_cursor(node, animate)

    def follow(self, index: int) -> None:
        """Open the branches down to ``index`` (deeper than a step follows) and move there."""
        line = self.reveal(index, MAX_REVEAL_DEPTH)
        if line is not None and self.cursor_node is not line:
            self._placed = line
            self.move_cursor(line, animate=False)

    def depth(self, index: int, limit: int) -> int:
        """How deep ``index``'s canonical line is (the root is 0), counting up to ``limit``."""
        d = 0
        while index in self._home and d <= limit:
            index = self._home[index][0]
            d += 1
        return d

    def reveal(self, index: int, max_depth: int | None = None) -> TreeNode[Entry] | None:
        """Build and open the branches down to ``index``'s canonical line (not when it is
        deeper than ``max_depth``: a line's guides cost time in proportion to its depth)."""
        if max_depth is not None and self.depth(index, max_depth) > max_depth:
            return None
        if index in self._lines:
            line = self._lines[index]
        elif index in self._home:
            chain: list[int] = []
            i = index
            while i not in self._lines:
                chain.append(i)
                i = self._home[i][0]
            for j in [i, *reversed(chain)]:
                if j == index:
                    break
                self._grow(self._lines[j])
            built = self._lines.get(index)
            if built is None:  # pragma: no cover - the chain always ends at a built line
                return None
            line = built
        else:
            return None  # no path to the output: not in this tree
        parent = line.parent
        while parent is not None:
            if not parent.is_expanded:
                with self._changes(parent):
                    parent.expand()
            parent = parent.parent
        return line

    # ---- building -----------------------------------------------------------

    @staticmethod
    def _canonical_parents(stepper: Stepper) -> dict[int, tuple[int, int]]:
        """For each node reachable from the output: (parent, slot) of its first line.

        The first line is the first in the fully expanded tree's reading order (preorder),
        found with an explicit stack.
        """
        operands = stepper.graph.operand_list()
        home: dict[int, tuple[int, int]] = {}
        seen: set[int] = set()
        stack: list[tuple[int, int, int]] = [(stepper.output, -1, -1)]
        while stack:
            i, parent, slot = stack.pop()
            if i in seen:
                continue
            seen.add(i)
            if parent >= 0:
                home[i] = (parent, slot)
            ops = operands[i]
            for s in range(len(ops) - 1, -1, -1):
                if ops[s] not in seen:
                    stack.append((ops[s], i, s))
        return home

    def _grow(self, line: TreeNode[Entry]) -> None:
        stepper = self.stepper
        entry = line.data
        if stepper is None or entry is None or entry.ref or entry.index in self._built:
            return
        self._built.add(entry.index)
        g = stepper.graph
        with self._changes(line):
            for slot, p in enumerate(g.nodes[entry.index].operands):
                if self._home.get(p) == (entry.index, slot) and p not in self._lines:
                    child = line.add(
                        Text(self.texts.tree_label(stepper, p, self.mask)),
                        Entry(p),
                        allow_expand=bool(g.nodes[p].operands),
                    )
                    self._lines[p] = child
                else:
                    ref = line.add_leaf(Text(explain.reference_label(stepper, p)), Entry(p, ref=True))
                    self._refs.setdefault(p, []).append(ref)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Entry]) -> None:
        event.stop()
        self._grow(event.node)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[Entry]) -> None:
        event.stop()
        if event.node is not self.cursor_node or event.node.data is None:
            # stale: the cursor has moved on since. Passing it up would move the selection
            # back, the app would move the cursor again, and the views could chase each
            # other's old messages for ever.
            return
        placed, self._placed = self._placed is event.node, None
        self.post_message(self.NodeChosen(event.node.data.index, self.has_focus and not placed))

    def on_tree_node_selected(self, event: Tree.NodeSelected[Entry]) -> None:
        event.stop()
        entry = event.node.data
        if entry is not None and entry.ref:
            # Enter on a reference jumps to the line where the node is expanded
            line = self.reveal(entry.index)
            if line is not None:
                self.move_cursor(line, animate=False)

    # ---- rendering ----------------------------------------------------------

    #: The width the lines were last drawn at.
    _drawn_width = -1

    #: Textual's, without the layout of the whole screen a new virtual size asks for: the
    #: tree's own size is the stylesheet's, and its scrollbars follow its lines (_build).
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    #: Counts the changes of the tree's look (a style, a new set of nodes): part of each
    #: drawn line's key.
    _look = 0

    def _build(self) -> None:
        """Textual's tree lines, made without recursion (a graph nested thousands deep) and
        with each label's width kept while the label is the same (Textual measures every
        label again at every build). When the only changes since the last build are branches
        opened, folded or grown (:meth:`_changes`), the lines of those branches alone are made
        and spliced into the last build's: a step late in a backward pass opens a branch of a
        tree of 800 lines, whose build took 5 ms of the step. The scrollbars then follow the
        lines' new count and width (a scrollbar that comes or goes asks for the layout it
        needs)."""
        before = self.virtual_size
        spliced = self._splice()
        if spliced is None:
            top = [self.root] if self.show_root else list(self.root._children)
            lines: list[_TreeLine[Entry]] = []
            widths: list[int] = []
            self._walk([([], node, True) for node in reversed(top)], lines, widths)
        else:
            lines, widths = spliced
        self._changed = None
        self._restyled = {}
        self._tree_lines_cached = self._built_lines = lines
        self._widths = widths
        self.virtual_size = Size(max(widths) if lines else self.size.width, len(lines))
        if self.cursor_line != -1:
            if self.cursor_node is not None:
                self.cursor_line = self.cursor_node._line
            if self.cursor_line >= len(lines):
                self.cursor_line = -1
        if self.virtual_size != before and self.container_size:
            self._scroll_update(self.virtual_size)

    def _walk(
        self,
        stack: list[tuple[list[TreeNode[Entry]], TreeNode[Entry], bool]],
        lines: list[_TreeLine[Entry]],
        widths: list[int],
        first: int = 0,
    ) -> None:
        """Append to ``lines`` (numbered from ``first``) the lines of the nodes on ``stack``
        (path above, node, whether it is its parent's last child; the top one first) and of
        their open branches, in reading order; and each line's width to ``widths``."""
        guide = self.guide_depth
        label_width = self.get_label_width
        while stack:
            path, node, last = stack.pop()
            child_path = [*path, node]
            node._line = first + len(lines)
            lines.append(_TreeLine(child_path, last))
            widths.append(label_width(node) + len(path) * guide)
            if node._expanded:
                children = node._children
                final = len(children) - 1
                stack.extend((child_path, children[i], i == final) for i in range(final, -1, -1))

    def _splice(self) -> tuple[list[_TreeLine[Entry]], list[int]] | None:
        """The last build's lines with the branches changed since made again, and their
        widths; or None, when a full build is needed (no last build, or another change)."""
        changed, built = self._changed, self._built_lines
        if changed is None or built is None:
            return None
        lines = list(built)
        widths = list(self._widths)
        for node in dict.fromkeys(changed):  # (in order, once each)
            y = node._line
            if not (0 <= y < len(lines) and lines[y].node is node):
                continue  # not shown: an opened branch above it shows it as it is now
            path = lines[y].path
            depth = len(path)
            end = y + 1
            while end < len(lines) and len(lines[end].path) > depth:
                end += 1
            block: list[_TreeLine[Entry]] = []
            block_widths: list[int] = []
            if node._expanded:
                children = node._children
                final = len(children) - 1
                stack = [(path, children[i], i == final) for i in range(final, -1, -1)]
                self._walk(stack, block, block_widths, y + 1)
            lines[y + 1 : end] = block
            widths[y + 1 : end] = block_widths
            if len(block) != end - y - 1:
                for k in range(y + 1 + len(block), len(lines)):
                    lines[k].path[-1]._line = k
        guide = self.guide_depth
        for node in self._restyled.values():  # labels changed since: their widths
            y = node._line
            if 0 <= y < len(lines) and lines[y].node is node:
                widths[y] = self.get_label_width(node) + (len(lines[y].path) - 1) * guide
        return lines, widths

    @contextlib.contextmanager
    def _changes(self, node: TreeNode[Entry]) -> Iterator[None]:
        """While the block runs, what invalidates the lines is a change of ``node``'s branch
        alone (opened, folded, children added): the next build splices its lines."""
        outer, self._changing = self._changing, node
        try:
            yield
        finally:
            self._changing = outer

    def _toggle_node(self, node: TreeNode[Entry]) -> None:
        with self._changes(node):
            super()._toggle_node(node)

    def _on_resize(self, event: events.Resize) -> None:
        """Textual's tree draws every line again after any resize. A line drawn is cached
        for its width: a resize that keeps the width (the one that follows the first layout,
        a log shown or hidden) keeps them, and a new height needs only room in the cache."""
        event.prevent_default()  # Textual's own handler is the only other one
        self._drawn.grow(4 * event.size.height)  # each line twice: for its look, and padded
        if event.size.width != self._drawn_width:
            self._invalidate()

    def render_lines(self, crop: Region) -> list[Strip]:
        self._drawn_width = self.size.width
        self._line_style = self.rich_style  # looked up once for all the lines drawn now
        key = self._pseudo_classes_cache_key
        if self._kinds_for != key or self._kinds is None or self._styles is None:
            # looked up again after a focus, hover or style change
            self._kinds_for, self._kinds, self._styles = key, self._guide_kinds(), self._label_styles()
        self._frame_guides, self._frame_styles = self._kinds, self._styles
        width = self.size.width
        # what every line reads, looked up once for the lines drawn now
        self._frame = _Frame(
            width, self.scroll_offset, self.has_focus, self.hover_line, self.cursor_line,
        )
        try:
            return super().render_lines(crop)
        finally:
            self._line_style = None
            self._frame_guides = self._frame_styles = None
            self._frame = None

    def render_line(self, y: int) -> Strip:
        style = self._line_style
        frame = self._frame
        if style is None or frame is None:
            return super().render_line(y)
        scroll_x, scroll_y = frame.scroll
        return self._render_line(y + scroll_y, scroll_x, scroll_x + frame.width, style)

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        """Textual's tree line, the same segments made directly.

        Moving the cursor repaints every line under the old and the new cursor node (their
        guides change colour); Textual builds each as a Rich text of one span per guide and
        renders it, which costs about a millisecond for a line 20 deep. Here the guides are
        segments at once and only the label is rendered as text.

        A line is kept for what it shows, not for where it is: Textual keeps each line for
        its line number and the tree's count of changes, and every branch that opens (a
        step late in a backward pass opens one at nearly every step) moves the lines below
        and counts a change: the whole tree was drawn again. Here a line is kept for its
        node, its guides' look and its label (each node's count of changes, along its
        path, and what its label reads of the lesson). Textual also puts the line number
        on every segment, for its mouse handlers to read: a line that moves would be a new
        line. Here the handlers read the line from the mouse's row (:meth:`_line_at`).
        """
        tree_lines = self._tree_lines
        frame = self._frame
        width = frame.width if frame is not None else self.size.width
        if y >= len(tree_lines):
            return Strip.blank(width, base_style)
        line = tree_lines[y]
        path = line.path
        if frame is not None:
            hover_line, cursor_line = frame.hover_line, frame.cursor_line
        else:
            hover_line, cursor_line = self.hover_line, self.cursor_line
        is_hover = hover_line >= 0 and any(node._hover for node in path)
        entry = line.node.data
        stepper = self.stepper
        index = -1 if entry is None else entry.index
        look = (
            line.node._id,
            line.last,
            "" if stepper is None or entry is None else explain.kind_key(stepper, index, self.mask),
            index == self.touched,
            is_hover,
            hover_line == y,
            cursor_line == y,
            width,
            self._look,
            self._pseudo_class_state,
            tuple(node._updates for node in path),
        )
        padded = (look, x2)
        drawn = self._drawn
        strip = drawn.get(padded)
        if strip is None:
            body = drawn.get(look)
            if body is None:
                body = drawn[look] = self._draw_line(line, y, is_hover, width, base_style)
            # padded as far as the crop below (Textual pads to the widest line's width, which
            # a deeper line coming changes: every line drawn again)
            line_style = self._highlight_line_style() if is_hover else base_style
            strip = drawn[padded] = body.extend_cell_length(x2, line_style)
        return strip.crop(x1, x2)

    def _line_at(self, event: events.MouseEvent) -> int:
        """The line under the mouse, or -1 (off the lines): what the line number Textual
        puts on every segment of a line tells its handlers."""
        offset = event.get_content_offset(self)
        if offset is None:
            return -1
        y = offset.y + self.scroll_offset.y
        return y if y < len(self._tree_lines) else -1

    def _on_mouse_move(self, event: events.MouseMove) -> None:
        """Textual's, the line read from the mouse's row (see :meth:`_render_line`)."""
        event.prevent_default()  # Textual's own handler is the only other one
        self.hover_line = self._line_at(event)

    async def _on_click(self, event: events.Click) -> None:
        """Textual's, the line read from the mouse's row (see :meth:`_render_line`).
        Textual's own handler runs after it and finds no line number; the widget's (text
        selection, links) runs as before."""
        async with self.lock:
            line = self._line_at(event)
            if line < 0:
                return
            if event.style.meta.get("toggle", False):
                node = self.get_node_at_line(line)
                if node is not None:
                    self._toggle_node(node)
            else:
                self.cursor_line = line
                await self.run_action("select_cursor")

    def _highlight_line_style(self) -> Style:
        """The base style of a line under the mouse."""
        return self.get_component_rich_style("tree--highlight-line")

    def _invalidate(self) -> None:
        """Textual's, without a layout of the screen (a branch opened or built, a step that
        goes to a node deeper in the tree, changes the lines, not the tree's size), and
        keeping the lines drawn (see :meth:`_render_line`). A change of one branch
        (:meth:`_changes`) keeps the last build's lines for the next build to splice."""
        changing = self._changing
        if changing is None:
            self._changed = None
        elif self._tree_lines_cached is not None:  # (the last build's: _built_lines)
            self._changed = [changing]
        elif self._changed is not None:
            self._changed.append(changing)
        self._tree_lines_cached = None
        root = self.root
        if root._hover_ or root._selected_:
            root._reset()  # (which counts a change of the root: of every line)
        self.refresh()

    def clear(self) -> Self:
        """Textual's: node ids start again from 0, so the lines drawn go."""
        self._look += 1
        self._label_widths.clear()
        self._changed = None
        return super().clear()

    def _draw_line(
        self, line: _TreeLine[Entry], y: int, is_hover: bool, width: int, base_style: Style
    ) -> Strip:
        """What ``Tree._render_line`` draws for ``line`` (see there), without a Rich text
        for the guides."""
        path = line.path
        kinds = self._frame_guides if self._frame_guides is not None else self._guide_kinds()
        frame = self._frame
        has_focus = frame.has_focus if frame is not None else self.has_focus
        hover = path[0]._hover
        selected = path[0]._selected and has_focus
        line_style = self._highlight_line_style() if is_hover else base_style
        styles: dict[int, Style] = {}

        segments: list[Segment] = []
        cells = 0
        kind = 0  # the guides' look: 0 plain, 1 under the hovered node, 2 under the cursor's
        # the guides of one look go out as one segment (fewer segments to cut and filter)
        run: list[str] = []
        run_kind = 0

        def flush() -> None:
            guide_style = kinds[run_kind][0]
            style = styles.get(run_kind)
            if style is None:
                style = styles[run_kind] = line_style + guide_style if guide_style else line_style
            segments.append(Segment("".join(run), style))
            run.clear()

        def put(guide: str) -> None:
            """One guide of look ``kind``: joins the run, or starts one after a flush."""
            nonlocal run_kind, cells
            if run and kind != run_kind:
                flush()
            run_kind = kind
            run.append(guide)
            cells += len(guide)

        last = path[-1]
        for node in path[1:]:
            kind = 2 if selected else 1 if hover else 0
            if node is not last:
                guides = kinds[kind][1]
                put(guides[0] if node.is_last else guides[1])
            hover = hover or node._hover
            selected = (selected or node._selected) and has_focus
        if len(path) > 1:
            guides = kinds[kind][1]
            put(guides[2] if line.last else guides[3])
        if run:
            flush()

        label, label_cells = self._label_segments(line.node, y, line_style)
        segments.extend(label)
        cells += label_cells
        return Strip(segments, cells)  # (padded to the widest line's width by _render_line)

    def _label_segments(self, node: TreeNode[Entry], y: int, line_style: Style) -> tuple[list[Segment], int]:
        """The label's segments and width on line ``y``, kept while nothing they show
        changes: moving the cursor repaints every line under the old and the new cursor
        node for their guides' colour, and their labels stay as they were."""
        styles_of = self._frame_styles if self._frame_styles is not None else self._label_styles()
        entry = node.data
        index = -1 if entry is None else entry.index
        stepper = self.stepper
        kind = "" if stepper is None or entry is None else explain.kind_key(stepper, index, self.mask)
        frame = self._frame
        if frame is not None:
            hover, cursor = frame.hover_line == y, frame.cursor_line == y
        else:
            hover, cursor = self.hover_line == y, self.cursor_line == y
        key = (
            node._id, node._updates, node._allow_expand, node._expanded, line_style, hover, cursor,
            kind, index == self.touched, styles_of["tree--label"], styles_of["tree--highlight"],
            styles_of["tree--cursor"],
        )
        cached = self._label_cache.get(key)
        if cached is not None:
            return cached
        label_style = styles_of["tree--label"]
        if hover:
            label_style += styles_of["tree--highlight"]
        if cursor:
            label_style += styles_of["tree--cursor"]
        label = self.render_label(node, line_style, label_style).copy()
        label.stylize(Style(meta={"node": node._id}))
        label.style = line_style  # the base it has inside the whole line's text
        if len(self._label_cache) >= LABEL_CACHE_SIZE:
            self._label_cache.clear()
        cached = self._label_cache[key] = (list(label.render(self.app.console)), label.cell_len)
        return cached

    def _label_styles(self) -> dict[str, Style]:
        """The label's component styles, as ``Tree._render_line`` looks them up."""
        return {
            "tree--label": self.get_component_rich_style("tree--label", partial=True),
            "tree--highlight": self.get_component_rich_style("tree--highlight", partial=True),
            "tree--cursor": self.get_component_rich_style("tree--cursor", partial=False),
        }

    def _guide_kinds(self) -> tuple[tuple[Style, tuple[str, str, str, str]], ...]:
        """The guides' style and strings: plain, under the hovered node, under the cursor's."""
        base = self.get_component_rich_style("tree--guides", partial=True)
        out = []
        for name in ("tree--guides", "tree--guides-hover", "tree--guides-selected"):
            extra = self.get_component_rich_style(name, partial=True)
            style = base if name == "tree--guides" else base + extra
            hidden = self.get_component_styles(name).color.a == 0
            out.append((style, self._guides(style, hidden)))
        return tuple(out)

    def _guides(self, style: Style, hidden: bool) -> tuple[str, str, str, str]:
        """Space, vertical, terminator and cross guides (``get_guides`` in Textual's
        ``Tree._render_line``), made once per style."""
        key = (style, hidden, self.show_guides, self.guide_depth)
        guides = self._guide_cache.get(key)
        if guides is None:
            lines: tuple[str, str, str, str]
            if self.show_guides and not hidden:
                lines = self.LINES["default"]
                if style.bold:
                    lines = self.LINES["bold"]
                elif style.underline2:
                    lines = self.LINES["double"]
            else:
                lines = ("  ", "  ", "  ", "  ")
            depth = max(0, self.guide_depth - 2)
            guides = cast(tuple[str, str, str, str], tuple(f"{c[0]}{c[1] * depth} " for c in lines))
            self._guide_cache[key] = guides
        return guides

    def get_label_width(self, node: TreeNode[Entry]) -> int:
        label = node._label
        kept = self._label_widths.get(node._id)
        if kept is not None and kept[0] is label:
            width = kept[1]
        else:
            width = label.cell_len
            self._label_widths[node._id] = (label, width)
        width += len(self.ICON_NODE) if node.allow_expand else 0
        if node.data is not None and node.data.index == self.touched:
            width += len(TOUCHED_MARK)
        return width

    def render_label(self, node: TreeNode[Entry], base_style: Style, style: Style) -> Text:
        text = super().render_label(node, base_style, style)
        entry = node.data
        if self.stepper is None or entry is None:
            return text
        kind = explain.kind_key(self.stepper, entry.index, self.mask)
        text.stylize(self.kind_styles.style_of(self, f"kind--{kind}"))
        if entry.ref:
            text.stylize(Style(italic=True))
        if entry.index == self.touched:
            text = Text.assemble(TOUCHED_MARK, text)
            text.stylize(self.kind_styles.style_of(self, "node--touched"))
        return text

    def notify_style_update(self) -> None:
        self.kind_styles.clear()
        self._label_cache.clear()
        self._kinds_for = None
        self._look += 1
        super().notify_style_update()


class NodeTable(GraphView, SteadyScroll, DataTable[Text | str]):
    """Every node in topological order; cells are updated in place as steps are taken.

    A big graph's rows are added in chunks once the table is first shown (a DataTable
    measures every new cell, about 0.3 ms a row), so opening a 10,000-node graph does not
    wait for a view that is not on screen.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = DataTable.COMPONENT_CLASSES | KIND_CLASSES

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.stepper: Stepper | None = None
        self.touched: int | None = None
        self._cells: list[tuple[str, ...]] = []  # what each loaded row shows
        self._want: int | None = None  # a row to move to once it is loaded
        self._loading = False
        self._placed: int | None = None  # the row select() last moved to
        self.kind_styles = KindStyles()

    def show(self, stepper: Stepper) -> None:
        self.stepper = stepper
        self.clear(columns=True)
        for name in self.texts.columns:
            self.add_column(name, key=name)
        self._cells = []
        self._loading = False
        if len(stepper.graph.nodes) <= TABLE_CHUNK or self.is_on_screen:
            self._load_chunk()

    @property
    def rows_loading(self) -> bool:
        """Whether rows are still being added (in chunks, on a timer)."""
        return self._loading

    @property
    def is_on_screen(self) -> bool:
        return self.is_mounted and self.display and self.region.area > 0

    def on_show(self) -> None:
        stepper = self.stepper
        if stepper is not None and len(self._cells) < len(stepper.graph.nodes) and not self._loading:
            self._load_chunk()

    def _load_chunk(self) -> None:
        stepper = self.stepper
        if stepper is None:
            return
        start = len(self._cells)
        stop = min(start + TABLE_CHUNK, len(stepper.graph.nodes))
        rows = [self.texts.table_row(stepper, i, self.mask) for i in range(start, stop)]
        self._cells.extend(rows)
        self.add_rows([self._name_cell(start + k, r[0]), *r[1:]] for k, r in enumerate(rows))
        if self._want is not None and self._want < stop:
            self._placed = self._want
            self.move_cursor(row=self._want, animate=False)
            self._want = None
        self._loading = stop < len(stepper.graph.nodes)
        if self._loading:
            self.set_timer(0.01, self._load_chunk)  # let keys through between chunks

    def _name_cell(self, i: int, name: str) -> Text:
        assert self.stepper is not None
        text = Text((TOUCHED_MARK if i == self.touched else UNTOUCHED) + name)
        text.stylize(self.kind_styles.style_of(self, f"kind--{explain.kind_key(self.stepper, i, self.mask)}"))
        if i == self.touched:
            text.stylize(self.kind_styles.style_of(self, "node--touched"))
        return text

    def notify_style_update(self) -> None:
        self.kind_styles.clear()
        super().notify_style_update()

    def refresh_nodes(self, changed: Iterable[int] | None) -> None:
        stepper = self.stepper
        if stepper is None:
            return
        loaded = len(self._cells)
        indices: Iterable[int] = range(loaded) if changed is None else changed
        for i in indices:
            if i >= loaded:
                continue  # drawn with its current state when it is loaded
            new = self.texts.table_row(stepper, i, self.mask)
            old = self._cells[i]
            if new == old:
                continue
            self._cells[i] = new
            for col, (a, b) in enumerate(zip(old, new, strict=True)):
                if a != b:
                    value: Text | str = self._name_cell(i, b) if col == 0 else b
                    self.update_cell_at(Coordinate(i, col), value)
            if old[1] != new[1]:  # kind changed: recolour the name
                self.update_cell_at(Coordinate(i, 0), self._name_cell(i, new[0]))

    def set_touched(self, index: int | None) -> None:
        old, self.touched = self.touched, index
        for i in (old, index):
            if i is not None and i < len(self._cells):
                self.update_cell_at(Coordinate(i, 0), self._name_cell(i, self._cells[i][0]))

    def select(self, index: int) -> None:
        if index >= self.row_count:
            self._want = index
        elif self.cursor_row != index:
            self._placed = index
            self.move_cursor(row=index, animate=False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.cursor_row != self.cursor_row:
            return  # stale: the cursor has moved on since (see GraphTree)
        if self._want is not None:
            return  # the rows up to the selection are still loading: row 0 is nobody's choice
        placed, self._placed = self._placed == event.cursor_row, None
        self.post_message(self.NodeChosen(event.cursor_row, self.has_focus and not placed))

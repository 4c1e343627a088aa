"""The tree view draws each line itself (guides as segments, not a Rich text): the
text, styles and click targets must be exactly Textual's own ``Tree._render_line``'s,
with the cursor, hover, focus and the touched mark anywhere. (Neighbouring guides of one
style may go out as one segment: compared with neighbouring segments of one style joined,
which draws the same cells. Textual puts the line number on every segment for its mouse
handlers; the tree's handlers read it from the mouse's row instead: compared without it,
and the mouse tested on its own.)"""

from __future__ import annotations

import contextlib
import functools
import random
from collections.abc import Iterable, Iterator
from typing import Any

from rich.segment import Segment
from rich.text import Text
from test_app import settle, sync
from textual._styles_cache import StylesCache
from textual.geometry import Region
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Tree

from cgtui.app.app import ExplorerApp
from cgtui.app.views import Entry, GraphTree
from cgtui.engine.engine import Stepper
from cgtui.lang.build import from_expression

SHARED = "a = x * y\nb = a + x\nc = tanh(b) * a\nd = c - b * a\nL = d * d + c"


def joined(segments: Iterable[Segment]) -> list[tuple[str, object]]:
    """Neighbouring segments of one style joined: what they draw, cell by cell, and the
    meta a click reads (the line number left out, and the meta's order)."""
    out: list[tuple[str, object]] = []
    for text, style, _ in segments:
        key = None
        if style is not None:
            meta = sorted((k, v) for k, v in style.meta.items() if k != "line")
            key = (style.clear_meta_and_links(), style.link, meta)
        if out and out[-1][1] == key:
            out[-1] = (out[-1][0] + text, key)
        else:
            out.append((text, key))
    return out


def lines_differ(tree: GraphTree) -> list[int]:
    """The tree's lines whose segments are not Textual's: every line drawn alone, and the
    lines on screen drawn as a frame draws them (with the styles looked up for the frame)."""
    tree._pseudo_class_state = tree.get_pseudo_class_state()
    style = tree.rich_style
    width = tree.size.width
    differ = []
    for y in range(len(tree._tree_lines)):
        tree._line_cache.clear()
        theirs = joined(Tree._render_line(tree, y, 0, width, style))
        tree._line_cache.clear()
        ours = joined(GraphTree._render_line(tree, y, 0, width, style))
        if ours != theirs:
            differ.append(y)
    on_screen = Region(0, 0, width, tree.size.height)
    tree._line_cache.clear()
    tree._styles_cache.clear()
    frame = [joined(strip) for strip in tree.render_lines(on_screen)]
    tree._line_cache.clear()
    tree._styles_cache.clear()
    tree._render_line = functools.partial(Tree._render_line, tree)  # type: ignore[method-assign]
    try:
        textuals = [joined(strip) for strip in tree.render_lines(on_screen)]
    finally:
        del tree._render_line
        tree._line_cache.clear()
        tree._styles_cache.clear()
    differ += [-1 - y for y, (a, b) in enumerate(zip(frame, textuals, strict=True)) if a != b]
    return differ


@contextlib.contextmanager
def styled_rows(widget: Widget) -> Iterator[list[int]]:
    """The rows Textual's styles cache styles for ``widget`` while the block runs."""
    styled: list[int] = []
    original = StylesCache.render_line

    def counted(cache: StylesCache, styles: Any, y: int, *args: Any) -> Strip:
        if cache is widget._styles_cache:
            styled.append(y)
        return original(cache, styles, y, *args)

    StylesCache.render_line = counted  # type: ignore[method-assign,assignment]
    try:
        yield styled
    finally:
        StylesCache.render_line = original  # type: ignore[method-assign]


def shared_app() -> ExplorerApp:
    """The explorer on :data:`SHARED` (nodes used more than once: reference lines)."""
    return ExplorerApp(Stepper(from_expression(SHARED, values={"x": 0.5, "y": -1.5})), plugins=False)


async def opened(pilot: Pilot[None]) -> GraphTree:
    """The explorer's tree once settled with every branch open (lines many levels deep)."""
    await settle(pilot)
    tree = pilot.app.query_one("#tree", GraphTree)
    for line in list(tree._lines.values()):
        line.expand()
    await settle(pilot)
    return tree


def built(tree: GraphTree) -> list[tuple[tuple[int, ...], bool, int]]:
    """The tree's lines as built: each line's path (node ids), last flag and line number."""
    return [(tuple(node._id for node in line.path), line.last, line.node._line) for line in tree._tree_lines]


@sync
async def test_tree_lines_are_built_as_textual_builds_them() -> None:
    """The tree builds its lines without recursion and keeps label widths: the lines, their
    numbers and the tree's width are those of Textual's own build, with the root shown or
    not, after a label changes (a step), and with folded branches."""
    app = shared_app()
    async with app.run_test(size=(100, 40)) as pilot:
        tree = await opened(pilot)
        for key in ("", "F", "b"):
            if key:
                await pilot.press(key)
                await settle(pilot)
            for show_root in (True, False):
                tree.show_root = show_root
                tree._build()
                ours, size = built(tree), tree.virtual_size
                Tree._build(tree)
                assert built(tree) == ours and tree.virtual_size == size
        tree.show_root = True
        next(line for line in tree._lines.values() if line.children).collapse()
        tree._build()
        ours, size = built(tree), tree.virtual_size
        Tree._build(tree)
        assert built(tree) == ours and tree.virtual_size == size


#: A graph many levels deep, each level used by the next two (reference lines everywhere).
DEEP = "\n".join(
    ["s0 = x * y", "s1 = s0 + x"]
    + [f"s{i} = tanh(s{i - 1}) * s{i - 2} + y" for i in range(2, 12)]
    + ["L = s11 * s10"]
)


def as_textual_builds(tree: GraphTree) -> None:
    """The tree's lines (spliced or built), their numbers, the tree's width and the cursor's
    line are those of Textual's own build; the tree's own lines stay (the next build may
    splice them). With no build due, the root's branch is spliced again (a label changed
    since the last build changes the width at the next build, not at once)."""
    if tree._tree_lines_cached is not None:
        with tree._changes(tree.root):
            tree._invalidate()
    lines = tree._tree_lines
    ours, size, cursor = built(tree), tree.virtual_size, tree.cursor_line
    widths = [  # each line's, as Textual's build measures it (the tree's width is the widest)
        tree.get_label_width(line.node) + line._get_guide_width(tree.guide_depth, tree.show_root)
        for line in lines
    ]
    assert tree._widths == widths
    Tree._build(tree)
    assert (built(tree), tree.virtual_size, tree.cursor_line) == (ours, size, cursor)
    tree._tree_lines_cached = lines


@sync
async def test_spliced_lines_are_those_of_a_full_build() -> None:
    """Branches opened, folded and grown (by a step, a jump, the space key, a hidden
    branch under a folded one) splice their lines into the last build's: after each of
    150 random changes, one to three at a time, the lines, their numbers, the width (labels
    and the touched mark change it) and the cursor are those of Textual's own build."""
    app = ExplorerApp(Stepper(from_expression(DEEP, values={"x": 0.5, "y": -1.5})), plugins=False)
    rng = random.Random(15)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        tree = pilot.app.query_one("#tree", GraphTree)
        splices: list[bool] = []
        splice = tree._splice

        def counted() -> Any:
            made = splice()
            splices.append(made is not None)
            return made

        tree._splice = counted  # type: ignore[method-assign]
        as_textual_builds(tree)
        nodes = list(tree._home)
        for _ in range(150):
            for _ in range(rng.randint(1, 3)):
                change = rng.choice(["fold"] * 6 + ["follow"] * 2 + ["touch", "relabel", "key"])
                lines = [line for line in tree._lines.values() if line.allow_expand]
                if change == "fold":  # shown or not
                    tree._toggle_node(rng.choice(lines))
                elif change == "follow":
                    tree.follow(rng.choice(nodes))
                elif change == "touch":
                    tree.set_touched(rng.choice(nodes))
                elif change == "relabel":
                    line = rng.choice(lines)
                    tree._relabel(line, Text(str(line.label) + " " * rng.randint(0, 30)))
                else:
                    await pilot.press(rng.choice("bbfuF"))
                    await settle(pilot)
            as_textual_builds(tree)
        assert splices.count(True) > 120  # (a build that splices nothing is full)
        # a change still to build when the tree is cleared: the next build makes every line
        tree._toggle_node(tree.root)
        assert tree._tree_lines_cached is None
        tree.clear()
        builds = len(splices)
        as_textual_builds(tree)
        assert splices[builds:] == [False]


@sync
async def test_tree_lines_are_textuals_own() -> None:
    app = shared_app()
    async with app.run_test(size=(100, 40)) as pilot:
        tree = await opened(pilot)
        assert len(tree._tree_lines) > 10
        assert lines_differ(tree) == []
        for key in "Fbbbu":  # the cursor moves down and back, a node is marked touched
            await pilot.press(key)
            await settle(pilot)
            assert tree.has_focus
            assert lines_differ(tree) == []
        tree.hover_line = 4  # the mouse over a line: its branch's guides change colour
        tree._tree_lines[4].path[-1]._hover = True
        assert lines_differ(tree) == []
        await pilot.press("tab")  # the tree loses focus: the cursor's guides go plain
        await settle(pilot)
        assert not tree.has_focus
        assert lines_differ(tree) == []


@sync
async def test_the_mouse_finds_the_line_under_it_scrolled_or_not() -> None:
    """Hover and click go to the line under the mouse (Textual's handlers read the line
    number it puts on every segment), at any scroll; a row below the last line is none;
    a click on a branch's arrow folds it."""
    app = shared_app()
    async with app.run_test(size=(100, 16)) as pilot:
        tree = await opened(pilot)
        rows = tree.scrollable_content_region.height
        assert len(tree._tree_lines) > rows  # the tree scrolls
        for scroll in (0, 5):
            tree.scroll_to(y=scroll, animate=False, immediate=True)
            await settle(pilot)
            assert tree.scroll_offset.y == scroll
            for row in (0, 3, rows - 1):
                line = tree._tree_lines[scroll + row]
                label_x = len(line.path) * 4 + 2  # past the guides and the arrow
                await pilot.hover("#tree", offset=(label_x, row))
                assert tree.hover_line == scroll + row
                await pilot.click("#tree", offset=(label_x, row))
                await settle(pilot)
                assert tree.cursor_line == scroll + row
                assert line.node.data is not None and app.selected == line.node.data.index
        await pilot.hover("#tree", offset=(2, 0))
        assert tree.hover_line == tree.scroll_offset.y
        await pilot.hover("#status")
        assert tree.hover_line == -1
        tree.scroll_to(y=0, animate=False, immediate=True)
        await settle(pilot)
        node = tree._tree_lines[1].node
        assert node.allow_expand and node.is_expanded
        arrow_x = 4  # the root's line has no guides; its children's arrow is after one
        await pilot.click("#tree", offset=(arrow_x, 1))
        await settle(pilot)
        assert not node.is_expanded
        assert len(tree._tree_lines) < rows  # folded: rows below the last line
        await pilot.hover("#tree", offset=(8, rows - 1))
        assert tree.hover_line == -1
        cursor = tree.cursor_line
        await pilot.click("#tree", offset=(8, rows - 1))
        await settle(pilot)
        assert tree.cursor_line == cursor


@sync
async def test_a_scrolled_tree_styles_only_the_rows_that_come_in() -> None:
    """Textual styles every row again after a scroll (it keeps styled rows by their place);
    the tree keeps them for their line, and the frame is still Textual's own."""
    app = shared_app()
    async with app.run_test(size=(100, 16)) as pilot:
        tree = await opened(pilot)
        rows = tree.scrollable_content_region.height
        assert len(tree._tree_lines) >= rows + 3
        with styled_rows(tree) as styled:
            tree.scroll_to(y=3, animate=False, immediate=True)
            await settle(pilot)
        assert tree.scroll_offset.y == 3
        assert sorted(styled) == list(range(rows - 3, rows))  # the three new rows
        assert lines_differ(tree) == []


@sync
async def test_a_line_repaint_leaves_the_scrollbar_alone() -> None:
    """A repainted line (a new label, the cursor's guides) covers the lines' width only:
    as wide as the widget, it would have every frame draw the vertical scrollbar again."""
    graph = from_expression(" + ".join(f"x{i}" for i in range(80)), values={f"x{i}": i for i in range(80)})
    app = ExplorerApp(Stepper(graph), plugins=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        tree = app.query_one("#tree", GraphTree)
        assert tree.show_vertical_scrollbar
        lines_width = tree.scrollable_content_region.width
        assert lines_width < tree.size.width  # the scrollbar's columns
        tree._repaint_regions.clear()
        tree._refresh_line(3)
        tree._refresh_node(tree._tree_lines[1].node)  # what a cursor move repaints
        assert tree._repaint_regions
        assert all(region.right <= lines_width for region in tree._repaint_regions)


@sync
async def test_a_cursor_move_repaints_the_lines_under_both_nodes_as_textual_does() -> None:
    app = shared_app()
    async with app.run_test(size=(100, 40)) as pilot:
        tree = await opened(pilot)
        width = tree.scrollable_content_region.width
        for index in range(len(tree._tree_lines)):
            node = tree._tree_lines[index].node
            tree._repaint_regions.clear()
            Tree._refresh_node(tree, node)  # Textual's: one region per line
            theirs = {(r.y, r.height) for r in tree._repaint_regions}
            tree._repaint_regions.clear()
            tree._refresh_node(node)  # runs of lines
            ours = {(r.y + k, 1) for r in tree._repaint_regions for k in range(r.height)}
            assert ours == theirs
            assert all(r.x == 0 and r.right == width for r in tree._repaint_regions)


@sync
async def test_the_cursor_goes_to_a_node_whose_branch_a_step_builds() -> None:
    """A node whose line is not built yet (below the first screen's branches): selecting
    it builds and opens its branch and the cursor lands on its line (it landed on the root,
    line -1 made 0, and the app's selection followed the cursor to the output)."""
    terms = [f"x{i} * w{i}" for i in range(40)]
    values = {**{f"x{i}": i for i in range(40)}, **{f"w{i}": 1 for i in range(40)}}
    graph = from_expression(" + ".join(terms), values=values)
    app = ExplorerApp(Stepper(graph), plugins=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        tree = app.query_one("#tree", GraphTree)
        hidden = [i for i in range(len(graph.nodes)) if i in tree._home and i not in tree._lines]
        assert hidden  # lines a step would build
        app.selected = hidden[0]  # as a step that touches it does
        assert tree.cursor_node is not None and tree.cursor_node.data == Entry(hidden[0])
        await settle(pilot)
        assert app.selected == hidden[0]
        assert tree.cursor_node.data == Entry(hidden[0])


@sync
async def test_opening_a_branch_repaints_the_tree_and_its_scrollbar_without_a_layout() -> None:
    """A step that goes to a node in a branch not open yet builds and opens it: the tree's
    lines and its scrollbar change, its size does not, so the screen is not laid out again
    (Textual's tree asks for that at every branch opened)."""
    terms = [f"x{i} * w{i}" for i in range(40)]
    values = {**{f"x{i}": i for i in range(40)}, **{f"w{i}": 1 for i in range(40)}}
    app = ExplorerApp(Stepper(from_expression(" + ".join(terms), values=values)), plugins=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        tree = app.query_one("#tree", GraphTree)
        assert tree.show_vertical_scrollbar
        lines = len(tree._tree_lines)
        hidden = [i for i in tree._home if i not in tree._lines]
        app.selected = hidden[0]
        assert len(tree._tree_lines) > lines  # the branch built and opened
        assert not tree._layout_required and not app.screen._layout_required
        assert tree.virtual_size.height == len(tree._tree_lines)
        assert tree.vertical_scrollbar.window_virtual_size == len(tree._tree_lines)
        await settle(pilot)
        assert tree.cursor_node is not None and tree.cursor_node.data == Entry(hidden[0])


@sync
async def test_a_branch_opened_redraws_only_its_new_lines_wherever_the_others_move() -> None:
    """Opening a branch moves the lines below it: they are kept for their node and look,
    wherever they move, and only the branch's new lines and the lines whose look changed
    (the opened node's arrow) are drawn (Textual drew every line on screen again). Steps
    that open branches and move the cursor still draw Textual's own lines (the steps
    between are compared by test_tree_lines_are_textuals_own)."""
    terms = [f"x{i} * w{i}" for i in range(40)]
    values = {**{f"x{i}": i for i in range(40)}, **{f"w{i}": 1 for i in range(40)}}
    app = ExplorerApp(Stepper(from_expression(" + ".join(terms), values=values)), plugins=False)
    drawn: list[int] = []
    original = GraphTree._draw_line

    def counted(tree: GraphTree, *args: object) -> object:
        drawn.append(1)
        return original(tree, *args)  # type: ignore[arg-type]

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("F", "b", "b")  # the cursor off the root (whose flags a change resets)
        await settle(pilot)
        tree = app.query_one("#tree", GraphTree)
        assert tree.cursor_node is not tree.root
        GraphTree._draw_line = counted  # type: ignore[method-assign,assignment]
        try:
            closed = [
                line.node for line in tree._tree_lines if line.node.allow_expand and not line.node.is_expanded
            ]
            assert closed
            node = closed[0]
            tree.scroll_to(y=max(0, node.line - 3), animate=False, immediate=True)
            await settle(pilot)
            drawn.clear()
            before = len(tree._tree_lines)
            node.expand()
            await settle(pilot)
            new = len(tree._tree_lines) - before
            assert new > 0 and tree.size.height > new + 1
            assert 0 < len(drawn) <= new + 1  # the new lines and the opened node's own
            assert lines_differ(tree) == []
            opened = 0
            for _ in range(20):
                lines = len(tree._tree_lines)
                await pilot.press("b", "b", "b")  # (one settle, the paths' wait, for three)
                await settle(pilot)
                if len(tree._tree_lines) > lines:  # a branch opened: lines moved
                    opened += 1
                    assert lines_differ(tree) == []
                    if opened == 2:
                        break
            assert opened == 2
        finally:
            GraphTree._draw_line = original  # type: ignore[method-assign]

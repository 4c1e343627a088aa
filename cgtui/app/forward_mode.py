"""Forward mode in the explorer: a screen that steps the forward-mode pass one node at a
time (:class:`cgtui.engine.forward.TangentStepper`), beside the reverse mode of the main
screen.

Key ``m`` (or the palette's "Forward mode") opens it with the direction ``d·/dx`` for
the selected leaf (the first leaf that is not a constant if a computation is selected).
Each step computes the next node's value and its tangent ``ż = Σ ∂z/∂a · ȧ``.

The screen has the main screen's views, the very widgets (:mod:`cgtui.app.views`,
:mod:`cgtui.app.drawing`) given :class:`TangentTexts`: the tree, the table and the
drawing show each node's value and its tangent ``dz/dx`` (``d/dx 1`` in a drawn box)
where reverse mode shows the partial ``dL/dz``, and every step, undo, reset and run
updates all three. The side pane shows the selected node's tangent rule with its
numbers and what the whole Jacobian costs by either direction; the status line the
mode, the direction and the progress. ``f``/``F`` step and run, ``u`` undoes, ``r``
resets, ``c`` seeds the next leaf instead, ``1``/``2``/``3`` choose the view, and
``escape`` or ``m`` go back to reverse mode (the main screen, untouched). The CSS is
the screen's own (the main screen's layout: side by side, stacked below 100 columns)
and its colours come from theme variables.

On a tensor graph a tangent is an array of its node's shape, shown the way values are:
in one line (shape and mean) in the tree and the table, as a small table or a summary in
the side pane, beside each incoming edge's Jacobian-vector product with the shape of
every factor (``X (4,2) @ Ẇ1 (2,2) -> (4,2)``). The direction is one entry of an array
leaf, ``d·/dW1[0,1]``: ``c`` moves it to the next entry (then to the next leaf), ``C``
to the next leaf.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Log, Static, TabbedContent, TabPane

from cgtui.app import explain
from cgtui.app.drawing import DrawingView
from cgtui.app.footer import KeysFooter
from cgtui.app.layout import breakpoint_classes
from cgtui.app.tensor_view import MAP_HEIGHT, is_array, shapes, short_shape
from cgtui.app.views import GraphTree, GraphView, NodeTable
from cgtui.core.graph import Graph, Kind
from cgtui.core.lazy import np
from cgtui.core.notation import box_tangent, dotted, product, substitute_tangents, value_text
from cgtui.core.ops import OPS, SLOT_NAMES
from cgtui.draw.arrays import array_lines
from cgtui.engine.engine import Stepper, StepResult, application_text, arithmetic_text, edge_formula
from cgtui.engine.forward import TangentStepper, entry_name
from cgtui.engine.jacobian import pass_counts
from cgtui.teach.directions import jacobian_cost_lines

#: A run that writes more log lines than this is shortened in the log (as on the main screen).
LOG_LINES_PER_ACTION = 400


def direction_leaves(graph: Graph) -> list[int]:
    """The leaves a direction can seed: every leaf that is not a constant."""
    return [i for i, n in enumerate(graph.nodes) if n.op is None and n.kind is not Kind.CONST]


class TangentTexts(explain.NodeTexts):
    """Forward mode's words for the views: each node's value from the forward-mode pass
    and its tangent ``dz/dx`` (``?`` until the pass reaches it; ``0`` for what depends on
    constants only), and a status column that says which node is next."""

    def __init__(self, tangents: TangentStepper) -> None:
        self.tangents = tangents

    @property
    def box_mark(self) -> str:
        return box_tangent(self.tangents.label)

    @property
    def columns(self) -> tuple[str, ...]:
        return ("node", "kind", "operation", "successors", "value", f"dnode/d{self.tangents.label}", "status")

    def tangent(self, i: int) -> str:
        s = self.tangents
        t = s.tangents[i]
        if t is not None:
            return value_text(t)
        return "?" if s.values[i] is None else "0"

    def status(self, i: int) -> str:
        s = self.tangents
        node = s.graph.nodes[i]
        if node.op is None:
            return "constant" if node.kind is Kind.CONST else "given"
        if s.values[i] is not None:
            return "computed"
        if i == s.next_node():
            return "fault" if s.fault is not None else "next"
        return "not yet computed"

    def tree_label(self, stepper: Stepper, i: int, mask: explain.Mask = explain.NO_MASK) -> str:
        """``v1  [comp]  x + y  = 5  dv1/dx 1``."""
        s = self.tangents
        g = s.graph
        node = g.nodes[i]
        parts = [node.name, f"[{explain.kind_tag(stepper, i)}]"]
        if node.op is not None:
            parts.append(application_text(g, i))
        parts.append(f"= {value_text(s.values[i])}")
        if s.values[i] is not None:
            parts.append(f" {s.tangent_name(i)} {self.tangent(i)}")
        return "  ".join(parts)

    def table_row(self, stepper: Stepper, i: int, mask: explain.Mask = explain.NO_MASK) -> tuple[str, ...]:
        s = self.tangents
        value = s.values[i]
        return (
            s.graph.nodes[i].name,
            explain.kind_tag(stepper, i),
            explain.expression(stepper, i),
            explain.successors_text(stepper, i),
            "" if value is None else value_text(value),
            self.tangent(i),
            self.status(i),
        )

    def box_numbers(
        self, stepper: Stepper, mask: explain.Mask = explain.NO_MASK
    ) -> tuple[list[Any], list[Any]]:
        s = self.tangents
        values: list[Any] = list(s.values)
        tangents: list[Any] = [
            t if t is not None else (None if v is None else 0.0)
            for t, v in zip(s.tangents, s.values, strict=True)
        ]
        return values, tangents


def first_leaf(graph: Graph, leaves: list[int]) -> int | None:
    """The leaf seeded first: on a tensor graph the first param (a layer's weights, not
    its data), else the first leaf that is not a constant."""
    if graph.has_arrays:
        params = [i for i in leaves if graph.nodes[i].kind is Kind.PARAM]
        if params:
            return params[0]
    return leaves[0] if leaves else None


def tangent_array_lines(s: TangentStepper, i: int, width: int = 40) -> list[str]:
    """Node ``i``'s value and tangent as tables (or summaries) when it or an operand holds
    an array, then each incoming edge's term with the shape of every factor: a tensor op's
    JVP (``X (4,2) @ Ẇ1 (2,2) -> (4,2)``), an elementwise op's local derivative times the
    tangent, broadcast where the operand is smaller. Empty on a scalar node."""
    g = s.graph
    node = g.nodes[i]
    sh = shapes(g, s.values)
    shape = sh[i]
    if shape in (None, ()) and not any(sh[p] not in (None, ()) for p in node.operands):
        return []
    width = max(width - 2, 12)
    lines: list[str] = []
    value: Any = s.values[i] if s.values[i] is not None else node.value
    if is_array(value):
        lines.append(f"{node.name} {short_shape(np.shape(value))}:")
        lines += ["  " + line for line in array_lines(value, width=width, height=MAP_HEIGHT)]
    t: Any = s.tangents[i]
    if is_array(t):
        lines.append(f"{s.tangent_name(i)} {short_shape(np.shape(t))}:")
        lines += ["  " + line for line in array_lines(t, width=width, height=MAP_HEIGHT)]
    elif shape not in (None, ()) and s.needs[i]:
        lines.append(f"{s.tangent_name(i)} {short_shape(shape or ())}: not yet computed")
    return lines + _term_lines(s, i, sh)


def _term_lines(s: TangentStepper, i: int, sh: list[tuple[int, ...] | None]) -> list[str]:
    g = s.graph
    node = g.nodes[i]
    out = sh[i]
    if node.op is None or out is None:
        return []
    op = OPS[node.op]
    lines = [f"each incoming edge's term, {dotted('a')} = the operand's tangent:"]
    for slot, p in enumerate(node.operands):
        if not s.needs[p]:
            continue
        operand = g.nodes[p].name
        if op.jvps:
            names = {SLOT_NAMES[k]: _shaped(g.nodes[q].name, sh[q]) for k, q in enumerate(node.operands)}
            names["out"] = _shaped(node.name, out)
            dots = {
                SLOT_NAMES[k]: _shaped(dotted(g.nodes[q].name), sh[q]) for k, q in enumerate(node.operands)
            }
            formula = substitute_tangents(op.jvps[slot].formula, names, dots)
            lines.append(f"  from {operand}: {formula} -> {short_shape(out)}")
            continue
        local = edge_formula(g, i, slot)
        factor = local if local.isidentifier() or local.replace(".", "").isdigit() else f"({local})"
        term = product([factor, _shaped(dotted(operand), sh[p])])
        lines.append(f"  from {operand}: {term} -> {short_shape(out)}")
        if sh[p] is not None and sh[p] != out:
            spread = f"{dotted(operand)} {short_shape(sh[p] or ())} is spread to {short_shape(out)}"
            lines.append(f"    broadcasting: {spread}")
    return lines if len(lines) > 1 else []


def _shaped(name: str, shape: tuple[int, ...] | None) -> str:
    return name if shape is None else f"{name} {short_shape(shape)}"


class ForwardModeScreen(Screen[None]):
    """Forward mode, stepped one node at a time, in the main screen's tree, table and drawing."""

    DEFAULT_CSS = """
    ForwardModeScreen #fm-main { height: 1fr; }
    ForwardModeScreen #fm-views { width: 3fr; height: 1fr; }
    ForwardModeScreen #fm-views TabPane { padding: 0; }
    ForwardModeScreen #fm-tree, ForwardModeScreen #fm-table { height: 1fr; border: none; }
    ForwardModeScreen #fm-side {
        width: 2fr;
        min-width: 36;
        height: 1fr;
        padding: 0 1;
        border-left: vkey $border;
        scrollbar-size-vertical: 1;
    }
    ForwardModeScreen #fm-side-title { text-style: bold; color: $text-accent; }
    ForwardModeScreen #fm-side .heading { margin-top: 1; text-style: bold underline; color: $text-primary; }
    ForwardModeScreen #fm-log {
        height: 7;
        border-top: hkey $border;
        border-title-color: $text-muted;
        scrollbar-size-vertical: 1;
    }
    ForwardModeScreen #fm-status {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text;
        text-style: bold;
    }
    ForwardModeScreen.-narrow #fm-main { layout: vertical; }
    ForwardModeScreen.-narrow #fm-views { width: 1fr; }
    ForwardModeScreen.-narrow #fm-side {
        width: 1fr;
        min-width: 0;
        border-left: none;
        border-top: hkey $border;
    }
    ForwardModeScreen.-short #fm-log { height: 4; }
    ForwardModeScreen.-short #fm-side .heading { margin-top: 0; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "step", "Fwd", tooltip="Forward mode: the next node's value and tangent"),
        Binding("F", "run", "Fwd all", tooltip="Forward mode: run to the end"),
        Binding("u", "undo", "Undo", tooltip="Undo the last forward-mode step"),
        Binding("r", "reset", "Reset", tooltip="Reset: no values or tangents"),
        Binding(
            "c", "next_direction", "Direction", tooltip="Seed an array's next entry (or next leaf) instead"
        ),
        Binding("C", "next_leaf", "Next leaf", show=False, tooltip="Seed the next leaf instead"),
        Binding("escape,m", "back", "Reverse", tooltip="Back to reverse mode"),
        Binding("1", "show_tab('tree')", "Tree", show=False, tooltip="Show the tree view"),
        Binding("2", "show_tab('table')", "Table", show=False, tooltip="Show the table view"),
        Binding("3", "show_tab('drawing')", "Drawing", show=False, tooltip="Show the drawn DAG"),
        Binding("l", "toggle_log", "Log", show=False, tooltip="Show or hide the step log"),
        Binding("z", "zoom", "Zoom", show=False, tooltip="Maximize the focused pane, or restore"),
        # the main screen's keys act on reverse mode, which this screen hides: say so
        Binding(
            "b,B,d,e,k,n,t,o,s,p,T,Q,G,slash,left_square_bracket,right_square_bracket",
            "reverse_only",
            show=False,
        ),
    ]

    def __init__(
        self,
        graph: Graph,
        leaf: int | None = None,
        *,
        reverse: Stepper | None = None,
        drawing: bool = True,
    ) -> None:
        """``leaf``: the node selected on the main screen (seeded when it is a leaf that
        is not a constant). ``reverse``: the main screen's stepper, for the output the
        tree starts from and the kinds (never changed here). ``drawing``: whether the
        drawing tab is there."""
        super().__init__()
        self.graph = graph
        self.reverse = reverse if reverse is not None and reverse.graph is graph else Stepper(graph)
        self.leaves = direction_leaves(graph)
        self.leaf = leaf if leaf in self.leaves else first_leaf(graph, self.leaves)
        self.entry: tuple[int, ...] | None = self._first_entry()
        self.stepper = TangentStepper(graph, self._direction())
        self.texts = TangentTexts(self.stepper)
        self.cost = jacobian_cost_lines(pass_counts(graph))
        self.selected = leaf if leaf is not None and 0 <= leaf < len(graph.nodes) else self.reverse.output
        self._tree = GraphTree(id="fm-tree")
        self._table = NodeTable(id="fm-table")
        self._views: list[GraphView] = [self._tree, self._table]
        self._drawing: DrawingView | None = DrawingView(id="fm-drawing") if drawing else None
        if self._drawing is not None:
            self._views.append(self._drawing)
        for view in self._views:
            view.texts = self.texts
        self._title = Static(id="fm-side-title", markup=False)
        self._definition = Static(id="fm-side-definition", markup=False)
        self._rule = Static(id="fm-side-rule", markup=False)
        self._arrays = Static(id="fm-side-arrays", markup=False)
        self._cost = Static("\n".join(self.cost), id="fm-side-cost", markup=False)
        self._log = Log(id="fm-log", max_lines=2000)
        self._status = Static(id="fm-status", markup=False)

    def _leaf_shape(self) -> tuple[int, ...]:
        if self.leaf is None:
            return ()
        value = self.stepper.base_values[self.leaf] if hasattr(self, "stepper") else None
        value = value if value is not None else self.graph.nodes[self.leaf].value
        return () if value is None else tuple(np.shape(value))

    def _first_entry(self) -> tuple[int, ...] | None:
        """An array leaf's first entry (the direction seeds one entry); None for a number."""
        shape = self._leaf_shape()
        return (0,) * len(shape) if shape and int(np.prod(shape)) > 0 else None

    def _direction(self) -> dict[str, float]:
        if self.leaf is None:
            return {}
        name = self.graph.nodes[self.leaf].name
        return {name if self.entry is None else entry_name(name, self.entry): 1.0}

    def views(self) -> Iterator[GraphView]:
        yield from self._views

    def compose(self) -> ComposeResult:
        with Horizontal(id="fm-main"):
            with TabbedContent(id="fm-views", initial="fm-tab-tree"):
                with TabPane("Tree", id="fm-tab-tree"):
                    yield self._tree
                with TabPane("Table", id="fm-tab-table"):
                    yield self._table
                if self._drawing is not None:
                    with TabPane("Drawing", id="fm-tab-drawing"):
                        yield self._drawing
            with VerticalScroll(id="fm-side"):
                yield self._title
                yield self._definition
                yield Static("Tangent: the chain rule forward", classes="heading")
                yield self._rule
                yield self._arrays
                yield Static("The whole Jacobian: which direction", classes="heading")
                yield self._cost
        yield self._log
        yield self._status
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        app = self.app
        width, height = app.size
        horizontal, vertical = app.HORIZONTAL_BREAKPOINTS or [], app.VERTICAL_BREAKPOINTS or []
        self.update_classes(breakpoint_classes(width, height, horizontal, vertical))
        self._log.border_title = "forward-mode log"
        self.on_resize()
        self._show_views()
        self._log.write_line(f"forward mode along {self._label()}: {self.stepper.rule_text(self.leaf or 0)}")
        self._tree.focus()

    def on_resize(self) -> None:
        # below 100 columns the footer's room goes to the keys, as on the main screen
        self.query_one(KeysFooter).show_command_palette = self.app.size.width >= 100

    # ---- text ------------------------------------------------------------------

    def _label(self) -> str:
        if self.leaf is None:
            return "no leaf"
        return f"d·/d{next(iter(self._direction()))}"

    def _refresh_side(self) -> None:
        i = self.selected
        s = self.stepper
        g = self.graph
        node = g.nodes[i]
        op = f", {node.op}" if node.op else ""
        self._title.update(f"{node.name}  ({explain.kind_tag(self.reverse, i)}{op})  {self.texts.status(i)}")
        if node.op is None:
            definition = f"{node.name} = {value_text(s.values[i])}  ({node.kind.value} leaf)"
        elif s.fault is not None and i == s.next_node():
            definition = f"{node.name} = {application_text(g, i)}\nstopped here: {s.fault} (u clears it)"
        elif s.values[i] is None:
            definition = f"{node.name} = {application_text(g, i)} = ? (not yet computed: f steps to it)"
        else:
            definition = arithmetic_text(g, i, s.values)
        self._definition.update(definition)
        lines = [s.rule_text(i)]
        done = next((step for step in reversed(s.history) if step.node == i), None)
        if done is not None:
            lines += ["", "this step:", *(f"  {line}" for line in done.lines[1:])]
        self._rule.update("\n".join(lines))
        side = self.query("#fm-side")
        width = side.first().size.width if side and side.first().size.width > 0 else 40
        arrays = tangent_array_lines(s, i, width - 2)
        self._arrays.display = bool(arrays)
        self._arrays.update("\n".join(["", *arrays]) if arrays else "")

    def _refresh_status(self) -> None:
        s = self.stepper
        self._status.update(
            f"forward mode · direction {self._label()} · {s.position}/{len(s.order)} nodes"
            f"{' · fault: ' + s.fault if s.fault else ''} · escape: reverse mode"
        )

    # ---- keeping the views up to date ---------------------------------------------

    def _show_views(self) -> None:
        """Rebuild every view (a new direction: new column heading, new box marks)."""
        for view in self._views:
            view.set_touched(None)
            view.show(self.reverse)
        self._select(self.selected)
        self._refresh_status()

    def _select(self, index: int) -> None:
        self.selected = index
        for view in self._views:
            view.select(index)
        self._refresh_side()

    def _after(self, result: StepResult, changed: set[int] | None) -> None:
        """After a step, an undo, a run or a reset: the nodes in ``changed`` (None: all)
        are redrawn in every view, the touched node marked and selected."""
        self._write_log(result.lines)
        for view in self._views:
            view.refresh_nodes(changed)
            view.set_touched(result.node)
        if result.node is not None:
            self._select(result.node)
        else:
            self._refresh_side()
        self._refresh_status()

    def _write_log(self, lines: list[str]) -> None:
        """Write ``lines`` to the log at once; a run over a big graph is shortened to its
        first and last lines (writing thousands costs seconds, as on the main screen)."""
        if len(lines) > LOG_LINES_PER_ACTION:
            head, tail = LOG_LINES_PER_ACTION // 2, LOG_LINES_PER_ACTION // 4
            skipped = len(lines) - head - tail
            lines = [*lines[:head], f"... {skipped:,} more lines ...", *lines[-tail:]]
        if lines:
            self._log.write_lines(lines)
            self._log.scroll_end(animate=False)

    def _act(self, action: str) -> None:
        """Run one TangentStepper action; the nodes whose row can change are the touched
        one and the next node before and after (its status says "next")."""
        s = self.stepper
        before = s.next_node()
        result: StepResult = getattr(s, action)()
        if action in ("run", "reset"):
            self._after(result, None)
            return
        changed = {i for i in (result.node, before, s.next_node()) if i is not None}
        self._after(result, changed)

    def on_graph_view_node_chosen(self, message: GraphView.NodeChosen) -> None:
        message.stop()  # the main screen's selection stays where it was
        if message.user and 0 <= message.index < len(self.graph.nodes) and message.index != self.selected:
            self._select(message.index)

    # ---- actions ------------------------------------------------------------------

    def action_step(self) -> None:
        self._act("step")

    def action_run(self) -> None:
        self._act("run")

    def action_undo(self) -> None:
        self._act("undo")

    def action_reset(self) -> None:
        self._act("reset")

    def action_next_direction(self) -> None:
        """The next entry of an array leaf; after its last entry (or for a number), the
        next leaf."""
        shape = self._leaf_shape()
        if self.entry is not None and shape:
            entries = list(np.ndindex(shape))
            k = entries.index(self.entry)
            if k + 1 < len(entries):
                self.entry = entries[k + 1]
                self._new_direction()
                return
        self.action_next_leaf()

    def action_next_leaf(self) -> None:
        if not self.leaves:
            self._log.write_line("every leaf is a constant: there is no direction to seed")
            return
        k = self.leaves.index(self.leaf) if self.leaf in self.leaves else -1
        self.leaf = self.leaves[(k + 1) % len(self.leaves)]
        self.entry = self._first_entry()
        self._new_direction()

    def _new_direction(self) -> None:
        self.stepper.set_direction(self._direction())
        self._show_views()
        self._log.write_line(f"new direction {self._label()}: every tangent starts again")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_tab" and parameters == ("drawing",):
            return self._drawing is not None
        return True

    def action_show_tab(self, tab: str) -> None:
        tabs = self.query_one("#fm-views", TabbedContent)
        if self.query(f"#fm-tab-{tab}"):
            tabs.active = f"fm-tab-{tab}"
            self.query_one(f"#fm-{tab}").focus()

    def action_toggle_log(self) -> None:
        self._log.display = not self._log.display

    def action_zoom(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        target: Widget | None = None
        while focused is not None:
            if focused.id in ("fm-views", "fm-side", "fm-log"):
                target = focused
                break
            focused = focused.parent if isinstance(focused.parent, Widget) else None
        self.maximize(target or self.query_one("#fm-views"), container=False)

    def action_reverse_only(self) -> None:
        self._log.write_line("that key acts on reverse mode: escape goes back to it")

    def action_back(self) -> None:
        self.dismiss(None)

"""Forward mode in the explorer: a screen that steps the forward-mode pass one node at a
time (:class:`cgtui.engine.forward.TangentStepper`), beside the reverse mode of the main
screen.

Key ``m`` (or the palette's "Forward mode") opens it with the direction ``∂·/∂x`` for
the selected leaf (the first leaf that is not a constant if a computation is selected).
Each step computes the next node's value and its tangent ``ż = Σ ∂z/∂a · ȧ``; the table
shows every node's value and tangent, the side pane the selected node's tangent rule
with its numbers and what the whole Jacobian costs by either direction, the status line
the mode, the direction and the progress. ``f``/``F``
step and run, ``u`` undoes, ``r`` resets, ``c`` seeds the next leaf instead, and
``escape`` or ``m`` go back to reverse mode (the main screen, untouched). The CSS is the
screen's own and its colours come from theme variables.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Log, Static
from textual.widgets.data_table import ColumnKey

from cgtui.core.graph import Graph, Kind
from cgtui.core.notation import value_text
from cgtui.engine.engine import StepResult
from cgtui.engine.forward import TangentStepper
from cgtui.engine.jacobian import pass_counts
from cgtui.teach.directions import jacobian_cost_lines

COLUMNS = ("node", "kind", "step", "value", "tangent")


def direction_leaves(graph: Graph) -> list[int]:
    """The leaves a direction can seed: every leaf that is not a constant."""
    return [i for i, n in enumerate(graph.nodes) if n.op is None and n.kind is not Kind.CONST]


class ForwardModeScreen(Screen[None]):
    DEFAULT_CSS = """
    ForwardModeScreen #fm-main { height: 1fr; }
    ForwardModeScreen #fm-table { width: 3fr; }
    ForwardModeScreen #fm-side { width: 2fr; padding: 0 1; border-left: vkey $primary; }
    ForwardModeScreen #fm-log { height: 6; border-top: hkey $primary; }
    ForwardModeScreen #fm-status { height: 1; background: $panel; color: $text; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "step", "Fwd", tooltip="Forward mode: the next node's value and tangent"),
        Binding("F", "run", "Fwd all", tooltip="Forward mode: run to the end"),
        Binding("u", "undo", "Undo", tooltip="Undo the last forward-mode step"),
        Binding("r", "reset", "Reset", tooltip="Reset: no values or tangents"),
        Binding("c", "next_direction", "Direction", tooltip="Seed the next leaf instead"),
        Binding("escape,m", "back", "Reverse mode", tooltip="Back to reverse mode"),
        # the main screen's keys act on reverse mode, which this screen hides: say so
        Binding("b,B,d,e,k,n,t,o,s,p,T,Q,G,slash", "reverse_only", show=False),
    ]

    def __init__(self, graph: Graph, leaf: int | None = None) -> None:
        super().__init__()
        self.graph = graph
        self.leaves = direction_leaves(graph)
        self.leaf = leaf if leaf in self.leaves else (self.leaves[0] if self.leaves else None)
        self.stepper = TangentStepper(graph, self._direction())
        self.cost = jacobian_cost_lines(pass_counts(graph))
        self._table: DataTable[str] = DataTable(id="fm-table", cursor_type="row")
        self._side = Static(id="fm-side", markup=False)
        self._log = Log(id="fm-log", max_lines=2000)
        self._status = Static(id="fm-status", markup=False)

    def _direction(self) -> dict[str, float]:
        return {} if self.leaf is None else {self.graph.nodes[self.leaf].name: 1.0}

    def compose(self) -> ComposeResult:
        with Horizontal(id="fm-main"):
            yield self._table
            yield self._side
        yield self._log
        yield self._status
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self._table
        for column in COLUMNS:
            table.add_column(self._heading(column), key=column)
        for i, node in enumerate(self.graph.nodes):
            step = "" if node.op is None else self._step_text(i)
            table.add_row(node.name, node.kind.value, step, "", "", key=str(i))
        self._refresh_all()
        self._log.write_line(f"forward mode along {self._label()}: {self.stepper.rule_text(self.leaf or 0)}")
        table.focus()

    # ---- text ------------------------------------------------------------------

    def _label(self) -> str:
        return "no leaf" if self.leaf is None else f"d·/d{self.graph.nodes[self.leaf].name}"

    def _heading(self, column: str) -> str:
        if column == "tangent" and self.leaf is not None:
            return f"tangent d·/d{self.graph.nodes[self.leaf].name}"
        return column

    def _step_text(self, i: int) -> str:
        from cgtui.engine.engine import application_text

        return application_text(self.graph, i)

    def _refresh_row(self, i: int) -> None:
        s = self.stepper
        value = s.values[i]
        tangent = s.tangents[i]
        shown_tangent = value_text(tangent) if tangent is not None else ("0" if value is not None else "?")
        self._table.update_cell(str(i), "value", value_text(value))
        self._table.update_cell(str(i), "tangent", shown_tangent)

    def _refresh_all(self) -> None:
        for i in range(len(self.graph.nodes)):
            self._refresh_row(i)
        self._refresh_side()
        self._refresh_status()

    def _selected(self) -> int:
        row = self._table.cursor_row
        return row if 0 <= row < len(self.graph.nodes) else 0

    def _refresh_side(self) -> None:
        i = self._selected()
        s = self.stepper
        node = self.graph.nodes[i]
        lines = [f"{node.name}  ({node.kind.value})", "", "tangent rule:", f"  {s.rule_text(i)}"]
        done = next((step for step in s.history if step.node == i), None)
        if done is not None:
            lines += ["", "this step:", *(f"  {line}" for line in done.lines)]
        elif node.op is not None:
            lines += ["", "not yet computed: f steps to it"]
        lines += ["", *self.cost]
        self._side.update("\n".join(lines))

    def _refresh_status(self) -> None:
        s = self.stepper
        self._status.update(
            f" forward mode · direction {self._label()} · {s.position}/{len(s.order)} nodes"
            f"{' · fault: ' + s.fault if s.fault else ''} · c: next leaf · escape: reverse mode"
        )

    def _after(self, result: StepResult) -> None:
        for line in result.lines:
            self._log.write_line(line)
        if result.node is not None:
            self._refresh_row(result.node)
            self._table.move_cursor(row=result.node)
        self._refresh_side()
        self._refresh_status()

    # ---- actions ------------------------------------------------------------------

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._refresh_side()

    def action_step(self) -> None:
        self._after(self.stepper.step())

    def action_run(self) -> None:
        result = self.stepper.run()
        for i in range(len(self.graph.nodes)):
            self._refresh_row(i)
        self._after(result)

    def action_undo(self) -> None:
        self._after(self.stepper.undo())

    def action_reset(self) -> None:
        result = self.stepper.reset()
        self._refresh_all()
        self._after(result)

    def action_next_direction(self) -> None:
        if not self.leaves:
            return
        k = self.leaves.index(self.leaf) if self.leaf in self.leaves else -1
        self.leaf = self.leaves[(k + 1) % len(self.leaves)]
        self.stepper.set_direction(self._direction())
        self._table.columns[ColumnKey("tangent")].label = Text(self._heading("tangent"))
        self._refresh_all()
        self._table.refresh()
        self._log.write_line(f"new direction {self._label()}: every tangent starts again")

    def action_reverse_only(self) -> None:
        self._log.write_line("that key acts on reverse mode: escape goes back to it")

    def action_back(self) -> None:
        self.dismiss(None)

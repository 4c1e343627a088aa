"""The Params tab: each param's trajectory, and a table of values and dL/dparam whose
names are written in their lines' colours (the plot has no legend).

An array param's line is its norm ``‖W1‖`` (the square root of the sum of its squared
entries), and so are its table cells (``‖‖ 0.177``, and the gradient's norm); below the
table each array param and its gradient are shown whole, as a small table or as a
summary with a shaded block map (:mod:`cgtui.draw.arrays`)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from cgtui.app.training.plotting import param_colour, thin
from cgtui.app.training.tab import TrainingTab
from cgtui.core.lazy import np
from cgtui.core.notation import partial_name
from cgtui.draw.arrays import array_lines
from cgtui.learn.train import Value

#: Lines each array's block map takes at most below the table.
MAP_HEIGHT = 4
#: The arrays' text width: the side's 40 columns less the scrollbar and a margin.
ARRAY_WIDTH = 37


class ParamsTab(TrainingTab):
    """The params' trajectories beside a table of their values and gradients."""

    DEFAULT_CSS = """
    ParamsTab #params-row { height: 1fr; }
    ParamsTab #param-side { width: 40; height: 1fr; }
    ParamsTab #param-table { height: 1fr; }
    ParamsTab #param-side.-arrays #param-table { height: auto; max-height: 50%; }
    ParamsTab #param-arrays { height: 1fr; display: none; }
    ParamsTab #param-side.-arrays #param-arrays { display: block; }
    ParamsTab #param-array-text { padding: 0 1 0 0; }
    """

    def __init__(self, params: Sequence[str]) -> None:
        super().__init__("Params", id="tab-params")
        self.params = list(params)

    def compose(self) -> ComposeResult:
        with Horizontal(id="params-row"):
            yield self.make_plot("param-plot")
            with Vertical(id="param-side"):
                # no cursor: it would hide a name's colour
                yield DataTable(id="param-table", cursor_type="none", zebra_stripes=True)
                with VerticalScroll(id="param-arrays"):
                    yield Static("", id="param-array-text", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#param-table", DataTable)
        table.add_column("param", key="param")
        table.add_column("value", key="value")
        table.add_column("dL/dparam", key="grad")
        for i, name in enumerate(self.params):
            table.add_row(
                Text(name, style=Style(color=Color.from_rgb(*param_colour(i)), bold=True)), "", "", key=name
            )

    def draw(self) -> None:
        self.draw_plot()
        self.draw_table()

    def draw_plot(self) -> None:
        """The trajectories only (while a descent runs, the table waits for its end)."""
        if self.trainer is None:
            return
        plot = self.plot("param-plot")
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        # no legend (it covered the lines' start): each line has its param's colour, and the
        # table beside the plot writes each name in that colour
        norms = False
        for i, path in enumerate(self.trainer.trajectory.values()):
            if isinstance(path[0], np.ndarray) and path[0].ndim > 0:
                norms = True
                steps, _ = thin(list(range(len(path))))
                values = [float(np.linalg.norm(path[k])) for k in steps]
            else:
                steps, values = thin(list(path))
            plt.plot(steps, values, marker="braille", color=param_colour(i))
        # short enough for the 40 columns it has at 80x24 (plotext drops a longer title)
        if norms:
            plt.title("each param; an array: its norm ‖p‖")
        else:
            plt.title("each param after each step (colours as in the table)")
        plt.xlabel("step")
        plot.refresh()

    def draw_table(self) -> None:
        if self.trainer is None:
            return
        table = self.query_one("#param-table", DataTable)
        grads = self.trainer.current.grads
        lines: list[str] = []
        for name, value in self.trainer.params.items():
            table.update_cell(name, "value", _cell(value, 6), update_width=True)
            table.update_cell(name, "grad", _cell(grads[name], 4), update_width=True)
            if np.ndim(value) > 0:
                for label, array in ((name, value), (partial_name("L", name), grads[name])):
                    lines += [f"{label}:", *array_lines(array, width=ARRAY_WIDTH, height=MAP_HEIGHT)]
                lines.append("")
        self.query_one("#param-side").set_class(bool(lines), "-arrays")
        self.query_one("#param-array-text", Static).update("\n".join(lines).rstrip())


def _cell(v: Value, digits: int) -> str:
    """A table cell: a number to ``digits`` significant digits, an array by its norm."""
    if isinstance(v, np.ndarray) and v.ndim > 0:
        return f"‖‖ {float(np.linalg.norm(v)):.{digits}g}"
    return f"{float(v):.{digits}g}"

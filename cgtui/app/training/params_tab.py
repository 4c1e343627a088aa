"""The Params tab: each param's trajectory, and a table of values and dL/dparam whose
names are written in their lines' colours (the plot has no legend)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable

from cgtui.app.training.plotting import param_colour, thin
from cgtui.app.training.tab import TrainingTab


class ParamsTab(TrainingTab):
    """The params' trajectories beside a table of their values and gradients."""

    DEFAULT_CSS = """
    ParamsTab #params-row { height: 1fr; }
    ParamsTab #param-table { width: 40; height: 1fr; }
    """

    def __init__(self, params: Sequence[str]) -> None:
        super().__init__("Params", id="tab-params")
        self.params = list(params)

    def compose(self) -> ComposeResult:
        with Horizontal(id="params-row"):
            yield self.make_plot("param-plot")
            # no cursor: it would hide a name's colour
            yield DataTable(id="param-table", cursor_type="none", zebra_stripes=True)

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
        for i, path in enumerate(self.trainer.trajectory.values()):
            steps, values = thin(list(path))
            plt.plot(steps, values, marker="braille", color=param_colour(i))
        plt.title("each param after each step (colours as in the table)")
        plt.xlabel("step")
        plot.refresh()

    def draw_table(self) -> None:
        if self.trainer is None:
            return
        table = self.query_one("#param-table", DataTable)
        grads = self.trainer.current.grads
        for name, value in self.trainer.params.items():
            table.update_cell(name, "value", f"{value:.6g}", update_width=True)
            table.update_cell(name, "grad", f"{grads[name]:.4g}", update_width=True)

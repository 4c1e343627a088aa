"""The Surface tab: a heat map of the loss over two params, the others held fixed, with
the descent path drawn on it. For array params, over two of their entries (``W1[0,3]``,
``W2[5,1]``, picked by index beside each param); such a graph takes one forward pass per
point, so its grid is coarser."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label

from cgtui.app.training.param_picker import ParamPicker
from cgtui.app.training.plotting import heat_cells, thin
from cgtui.app.training.tab import TrainingTab
from cgtui.core.errors import CgtuiError
from cgtui.core.lazy import np
from cgtui.core.notation import format_number
from cgtui.learn.train import Surface, coordinate_path, loss_surface, span_around

#: The most grid points across and down: a scalar graph's grid is one vectorised pass, a
#: graph of arrays takes a forward pass per point.
GRID = {False: (60, 30), True: (24, 12)}


class SurfaceTab(TrainingTab):
    """Pickers for the x and y params, and the heat map."""

    DEFAULT_CSS = """
    SurfaceTab .pickers { height: auto; }
    SurfaceTab .pickers Select { width: 24; }
    SurfaceTab .pickers Label { padding: 0 1; }
    """

    def __init__(self, params: Sequence[str]) -> None:
        super().__init__("Surface", id="tab-surface")
        self.params = list(params)
        self.surface: Surface | None = None  # the last one drawn

    def compose(self) -> ComposeResult:
        params = self.params
        with Vertical():
            with Horizontal(classes="pickers"):
                yield Label("x")
                yield ParamPicker(params, params[0] if params else None, select_id="surface-x")
                yield Label("y")
                second = params[1] if len(params) > 1 else (params[0] if params else None)
                yield ParamPicker(params, second, select_id="surface-y")
            yield self.make_plot("surface-plot")

    @on(ParamPicker.Changed)
    def _picked(self) -> None:
        self.draw()

    def _picked_value(self, select_id: str) -> str | None:
        assert self.trainer is not None
        return self.query_one(f"#{select_id}-picker", ParamPicker).coordinate(self.trainer)

    def draw(self) -> None:
        if self.trainer is None or self.running:
            return
        trainer = self.trainer
        plot = self.plot("surface-plot")
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        x, y = self._picked_value("surface-x"), self._picked_value("surface-y")
        if x is None or y is None or x == y:
            plt.title("pick two different params for x and y")
            plot.refresh()
            return
        try:
            tx, ty = coordinate_path(trainer, x), coordinate_path(trainer, y)
        except CgtuiError as exc:  # an entry's index that the param does not have
            plt.title(str(exc))
            plot.refresh()
            return
        xlo, xhi = span_around(tx, margin=0.25)
        ylo, yhi = span_around(ty, margin=0.25)
        width, height = plot.size.width or 80, plot.size.height or 24
        # the loss is computed on a grid of at most GRID points, then drawn at twice the
        # plot's resolution so every character of the canvas is covered
        most_cols, most_rows = GRID[trainer.problem.graph.has_arrays]
        cols = max(8, min(most_cols, width - 12))
        rows = max(6, min(most_rows, height - 5))
        surface = loss_surface(
            trainer.problem,
            trainer.params,
            x,
            y,
            xs=np.linspace(xlo, xhi, cols),
            ys=np.linspace(ylo, yhi, rows),
        )
        cx, cy, colours = heat_cells(surface, 2 * width, 2 * height)
        if cx:
            plt.scatter(cx, cy, color=colours, marker="█")  # type: ignore[arg-type]
        steps, px = thin(list(tx), 300)
        py = [float(ty[i]) for i in steps]
        # whole cells: braille dots would blank their cells' heat colour around the path
        plt.plot(px, py, marker="█", color="white", label="descent path")
        plt.scatter([px[0]], [py[0]], marker="○", color="white", label="start")
        plt.scatter([px[-1]], [py[-1]], marker="●", color="red", label="now")
        plt.xlim(xlo, xhi)
        plt.ylim(ylo, yhi)
        plt.xlabel(x)
        finite = surface.losses[np.isfinite(surface.losses)]
        if finite.size:
            low, high = format_number(float(finite.min())), format_number(float(finite.max()))
            rng = f"L from {low} (dark) to {high} (light)"
        else:
            rng = "L is undefined here"
        plt.title(f"{rng} over ({x}, {y}); the other params fixed")
        plot.refresh()
        self.surface = surface

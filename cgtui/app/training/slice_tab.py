"""The Slice tab: the loss along one param around its value, the others held fixed, with
the tangent whose slope is dL/dparam there: the picture of what a partial derivative means.

For an array param the slice is along one of its entries (``W1[0,3]``), picked by its index
beside the param (:class:`~cgtui.app.training.param_picker.ParamPicker`)."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Static

from cgtui.app.training.param_picker import ParamPicker
from cgtui.app.training.tab import TrainingTab
from cgtui.core.errors import CgtuiError
from cgtui.core.lazy import np
from cgtui.core.notation import format_number
from cgtui.learn.train import Slice, coordinate_path, loss_slice, span_around

#: Points of the wide look and of the slice drawn, for a scalar graph (all in one pass) and
#: for a graph of arrays (one forward pass each).
POINTS = {False: (201, 121), True: (61, 61)}


class SliceTab(TrainingTab):
    """A picker for the param, a line that reads the picture, and the plot."""

    DEFAULT_CSS = """
    SliceTab .pickers { height: auto; }
    SliceTab .pickers Select { width: 24; }
    SliceTab .pickers Label { padding: 0 1; }
    SliceTab #slice-text { padding: 0 1; height: auto; }
    """

    def __init__(self, params: Sequence[str]) -> None:
        super().__init__("Slice", id="tab-slice")
        self.params = list(params)
        self.slice: Slice | None = None  # the last one drawn

    def compose(self) -> ComposeResult:
        params = self.params
        with Vertical():
            with Horizontal(classes="pickers"):
                yield Label("loss along")
                yield ParamPicker(params, params[0] if params else None, select_id="slice-param")
            yield Static("", id="slice-text", markup=False)
            yield self.make_plot("slice-plot")

    @on(ParamPicker.Changed)
    def _picked(self) -> None:
        self.draw()

    def draw(self) -> None:
        if self.trainer is None or self.running:
            return
        trainer = self.trainer
        name = self.query_one(ParamPicker).coordinate(trainer)
        if name is None:
            return
        try:
            path = coordinate_path(trainer, name)
        except CgtuiError as exc:  # an entry's index that the param does not have
            self.slice = None
            self.query_one("#slice-text", Static).update(str(exc))
            return
        wide_points, points = POINTS[trainer.problem.graph.has_arrays]
        at = path[-1]
        # the span holds the path so far and the lowest loss along this param, when a coarse
        # look finds one inside a wide window: the picture is then a valley with the tangent
        # on its side, not a nearly straight piece of it
        wide = 10.0 * max(1.0, abs(at))
        coarse = loss_slice(
            trainer.problem, trainer.params, name, points=wide_points, span=(at - wide, at + wide)
        )
        marks = [*path, at - 1.0, at + 1.0]
        finite = np.flatnonzero(np.isfinite(coarse.losses))
        if finite.size:
            best = int(finite[np.argmin(coarse.losses[finite])])
            if 0 < best < len(coarse.xs) - 1:  # a minimum inside, not the window's edge
                low = float(coarse.xs[best])
                marks += [low, low + 0.5 * (low - at)]  # and the valley's far wall
        lo, hi = span_around(marks, margin=0.1)
        s = loss_slice(trainer.problem, trainer.params, name, points=points, span=(lo, hi))
        self.slice = s
        plot = self.plot("slice-plot")
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        ok = np.isfinite(s.losses)
        xs = [float(v) for v in s.xs[ok]]
        # no legend or title: a legend covers the curve's corner, in a short plot all of it;
        # the text above the plot says what each line is
        plt.plot(xs, [float(v) for v in s.losses[ok]], marker="braille")
        if ok.any():
            top, bottom = float(np.nanmax(s.losses)), float(np.nanmin(s.losses))
            pad = 0.05 * (top - bottom or 1.0)
            # the tangent, clipped to the curve's range so it does not flatten the plot
            window = np.abs(s.xs - s.at) <= (hi - lo) / 4
            tx = s.xs[window]
            tangent = s.loss + s.slope * (tx - s.at)
            keep = (tangent >= bottom - pad) & (tangent <= top + pad)
            plt.plot([float(v) for v in tx[keep]], [float(v) for v in tangent[keep]], marker="braille")
            plt.ylim(bottom - pad, top + pad)
        plt.scatter([s.at], [s.loss], marker="●")
        plt.xlabel(name)
        plot.refresh()
        undefined = int((~ok).sum())
        note = f"; undefined at {undefined} of {ok.size} points" if undefined else ""
        move = format_number(-trainer.lr * s.slope)
        self.query_one("#slice-text", Static).update(
            f"at {name} = {format_number(s.at)}: L = {format_number(s.loss)}, slope dL/d{name} = "
            f"{format_number(s.slope)} (one step of lr moves {name} by {move}){note}\n"
            f"curve: L along {name}, the other params held fixed; straight line: the tangent; ●: now"
        )

"""The base of the training screen's tabs: a :class:`~textual.widgets.TabPane` that draws
the numbers of the trainer the screen gives it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import TabPane

from cgtui.learn.train import Trainer

if TYPE_CHECKING:
    from textual_plotext import PlotextPlot


class TrainingTab(TabPane):
    """One tab of the training screen.

    The screen sets :attr:`trainer` (a restart replaces it) and :attr:`running` (while a
    descent runs in the background), then calls :meth:`draw`; a tab with pickers of its own
    redraws itself when one changes ("attributes down")."""

    def __init__(self, title: str, *, id: str) -> None:
        super().__init__(title, id=id)
        self.trainer: Trainer | None = None
        self.running = False
        self._plots: dict[str, PlotextPlot] = {}

    def make_plot(self, plot_id: str) -> PlotextPlot:
        """A plot for :meth:`compose`. textual_plotext (and plotext) load here, with the first
        training screen, not with the app that can open one: they take a good part of its
        start-up."""
        from textual_plotext import PlotextPlot

        plot = PlotextPlot(id=plot_id)
        self._plots[plot_id] = plot
        return plot

    def plot(self, plot_id: str) -> PlotextPlot:
        """The plot :meth:`make_plot` made."""
        return self._plots[plot_id]

    def draw(self) -> None:
        """Draw the trainer's current numbers (nothing without a trainer)."""

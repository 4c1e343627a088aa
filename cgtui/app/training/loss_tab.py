"""The Loss tab: the loss after every step, on a log scale when it spans decades, and for a
classifier its accuracy beside it (on the right-hand axis, from 0 to 1)."""

from __future__ import annotations

from textual.app import ComposeResult

from cgtui.app.training.plotting import decade_ticks, thin
from cgtui.app.training.tab import TrainingTab
from cgtui.core.lazy import np
from cgtui.core.notation import format_number


class LossTab(TrainingTab):
    """The loss curve of the descent so far."""

    def __init__(self) -> None:
        super().__init__("Loss", id="tab-loss")

    def compose(self) -> ComposeResult:
        yield self.make_plot("loss-plot")

    def draw(self) -> None:
        if self.trainer is None:
            return
        plot = self.plot("loss-plot")
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        losses = list(self.trainer.losses)
        steps, values = thin(losses)
        positive = [v for v in values if v > 0]
        name = self.trainer.problem.output_name
        if positive and len(positive) == len(values) and max(values) / min(positive) > 100:
            # a log scale, drawn as log10 with decade labels: plotext's own log scale draws
            # nothing once the loss nears the float limit (as a diverging run's does)
            logs = [float(np.log10(v)) for v in values]
            plt.plot(steps, logs, marker="braille", label=f"{name} (log scale)")
            ticks = decade_ticks(min(logs), max(logs))
            plt.yticks([float(t) for t in ticks], [f"1e{t:d}" for t in ticks])
        else:
            plt.plot(steps, values, marker="braille", label=name)
        title = f"loss after each step ({len(losses) - 1} steps, now {format_number(losses[-1])})"
        accuracies = self.trainer.accuracies
        if accuracies:
            at, shares = thin(accuracies)
            plt.plot(at, shares, marker="braille", label="accuracy (right axis)", yside="right")
            plt.ylim(0.0, 1.0, yside="right")  # type: ignore[arg-type]  # plotext takes the side by name
            title = f"{title[:-1]}, accuracy {accuracies[-1]:.3f})"
        plt.title(title)
        plt.xlabel("step")
        plot.refresh()

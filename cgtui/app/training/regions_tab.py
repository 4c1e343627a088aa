"""The Regions tab: a 2-feature classifier's decision regions, as a picture in the terminal.

Each character cell is a point of the input plane, coloured by the class the model picks
there with the current params (one batched forward pass over the whole grid, see
:mod:`cgtui.learn.regions`); the data points are drawn over it in their labels' colours, so
a point on a region of another colour is one the model gets wrong. It is redrawn as the
descent runs. For a graph that is not such a classifier, the tab says why in place.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from cgtui.app.training.plotting import point_colour, region_colour
from cgtui.app.training.tab import TrainingTab
from cgtui.core.errors import CgtuiError
from cgtui.core.notation import format_number
from cgtui.draw.regions import NO_POINT, RegionPicture, region_picture
from cgtui.learn.regions import Classifier, Regions, decision_regions, regions_problem
from cgtui.learn.train import Problem


class RegionsTab(TrainingTab):
    """Two lines that read the picture (a fixed height, so the picture's size is known
    before it is drawn), and the picture, or why there is none."""

    DEFAULT_CSS = """
    RegionsTab #regions-text { padding: 0 1; height: 2; }
    RegionsTab #regions-map { height: 1fr; width: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__("Regions", id="tab-regions")
        self.regions: Regions | None = None  # the last one drawn
        self.picture: RegionPicture | None = None
        self.reason: str | None = None  # why there is no picture
        self._found: tuple[Problem, Classifier | str] | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="regions-text")
            yield Static("", id="regions-map")

    def _classifier(self, problem: Problem) -> Classifier | str:
        if self._found is None or self._found[0] is not problem:
            self._found = (problem, regions_problem(problem))
        return self._found[1]

    def draw(self) -> None:
        """Also while a descent runs: one forward pass over the grid is quick."""
        if self.trainer is None:
            return
        trainer = self.trainer
        text = self.query_one("#regions-text", Static)
        picture_widget = self.query_one("#regions-map", Static)
        where = self._classifier(trainer.problem)
        if isinstance(where, str):
            self._say(where)
            return
        size = picture_widget.size
        if not size.width or not size.height:
            return  # not laid out yet (the tab was hidden): on_resize draws it
        cols, rows = size.width, size.height
        try:
            regions = decision_regions(trainer.problem, trainer.params, where, cols=cols, rows=rows)
        except CgtuiError as exc:
            self._say(f"no decision regions at these params: {exc}")
            return
        picture = region_picture(regions)
        self.regions, self.picture, self.reason = regions, picture, None
        text.update(self._legend(regions))
        picture_widget.update(picture_text(picture))

    def on_resize(self) -> None:
        """Shown for the first time, or the terminal resized: a picture of the new size."""
        if self.trainer is not None:
            self.draw()

    def _say(self, reason: str) -> None:
        self.reason = reason
        self.regions = self.picture = None
        self.query_one("#regions-text", Static).update("")
        self.query_one("#regions-map", Static).update(Text(f" {reason}"))

    def _legend(self, regions: Regions) -> Text:
        """Two lines: the classes' colours, then the step, the accuracy and the axes."""
        trainer = self.trainer
        assert trainer is not None
        line = Text("class ")
        for k in range(regions.n_classes):
            line.append("█", Style(color=rgb(region_colour(k))))
            line.append("●", Style(color=rgb(point_colour(k)), bgcolor=rgb(region_colour(k)), bold=True))
            line.append(f" {k}  ")
        line.append("(█ the model's pick there, ● a data point's label)\n")
        line.append(f"step {trainer.steps_done}")
        accuracy = trainer.accuracy
        if accuracy is not None:
            line.append(f"  accuracy {accuracy:.3f}", Style(bold=True))
        name = regions.input_name
        line.append(f"  {name}[:,0] {_span(regions.x_span)} across, {name}[:,1] {_span(regions.y_span)} up")
        return line


def _span(span: tuple[float, float]) -> str:
    return f"{format_number(round(span[0], 2))}..{format_number(round(span[1], 2))}"


def rgb(colour: tuple[int, int, int]) -> str:
    return f"rgb({colour[0]},{colour[1]},{colour[2]})"


def picture_text(picture: RegionPicture) -> Text:
    """The picture as rich text: each cell's background its region's colour, its mark's
    foreground its points' label colour."""
    text = Text(no_wrap=True, overflow="crop")
    styles: dict[tuple[int, int], Style] = {}
    for r in range(picture.rows):
        if r:
            text.append("\n")
        for c in range(picture.cols):
            key = (int(picture.region[r, c]), int(picture.mark[r, c]))
            style = styles.get(key)
            if style is None:
                bg = rgb(region_colour(key[0]))
                fg = None if key[1] == NO_POINT else rgb(point_colour(key[1]))
                style = styles[key] = Style(color=fg, bgcolor=bg, bold=fg is not None)
            text.append(picture.char(r, c), style)
    return text


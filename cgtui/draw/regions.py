"""Decision regions as a picture on the character grid (pure: no rich, no textual).

One character cell per grid cell of :class:`cgtui.learn.regions.Regions`, top row first
(the highest feature-2 values at the top, as on paper): each cell has the class the model
picks at its centre (its background), and, where data points fall in it, the class most
of them are labelled with (a mark drawn over it). A cell whose mark differs from its
region holds a point the model gets wrong there. The app turns classes into colours.
"""

from __future__ import annotations

from dataclasses import dataclass

from cgtui.core.lazy import np
from cgtui.learn.regions import Regions

#: The mark of a cell holding data points, and of a cell whose points are mixed classes.
POINT, MIXED = "●", "◆"
#: A cell's mark when it holds no data point.
NO_POINT = -1


@dataclass
class RegionPicture:
    """``region[r, c]``: the class picked in the cell at row ``r`` (0 = top), column ``c``;
    ``mark[r, c]``: the majority label of the data points in it, or :data:`NO_POINT`;
    ``mixed[r, c]``: whether its points carry more than one label."""

    region: np.ndarray
    mark: np.ndarray
    mixed: np.ndarray

    @property
    def rows(self) -> int:
        return int(self.region.shape[0])

    @property
    def cols(self) -> int:
        return int(self.region.shape[1])

    def char(self, r: int, c: int) -> str:
        if self.mark[r, c] == NO_POINT:
            return " "
        return MIXED if self.mixed[r, c] else POINT

    def lines(self) -> list[str]:
        """The picture without colours: each empty cell is its region's class digit, a
        cell with points is its mark (their label is in :attr:`mark`)."""
        return [
            "".join(
                str(int(self.region[r, c]) % 10) if self.mark[r, c] == NO_POINT else self.char(r, c)
                for c in range(self.cols)
            )
            for r in range(self.rows)
        ]


def cell_of(values: np.ndarray, span: tuple[float, float], cells: int) -> np.ndarray:
    """The cell index (0 .. cells-1) each value falls in, across ``span``."""
    lo, hi = span
    k = np.floor((np.asarray(values, dtype=np.float64) - lo) / (hi - lo) * cells).astype(np.int64)
    return np.clip(k, 0, cells - 1)


def region_picture(regions: Regions) -> RegionPicture:
    """The regions flipped so that row 0 is the top, with the data points binned in."""
    rows, cols = regions.classes.shape
    region = regions.classes[::-1].copy()
    ci = cell_of(regions.points[:, 0], regions.x_span, cols)
    ri = rows - 1 - cell_of(regions.points[:, 1], regions.y_span, rows)
    counts = np.zeros((rows, cols, max(1, regions.n_classes)), dtype=np.int64)
    labels = np.clip(regions.labels, 0, counts.shape[2] - 1)
    np.add.at(counts, (ri, ci, labels), 1)
    held = counts.sum(axis=2) > 0
    mark = np.where(held, counts.argmax(axis=2), NO_POINT)
    mixed = (counts > 0).sum(axis=2) > 1
    return RegionPicture(region, mark, mixed)

"""What the training tabs' plots share: thinning a long history, decade ticks for a log
scale, the params' colours and the heat map's colour ramp. Numbers and colours only: no
widget here."""

from __future__ import annotations

from collections.abc import Sequence

from cgtui.core.lazy import np
from cgtui.learn.train import Surface

#: Plots show at most this many points per line (the history is thinned evenly).
MAX_PLOT_POINTS = 400

#: Colours of the params' trajectories, ten that tell apart (Tableau 10), as data like RAMP.
PARAM_COLOURS = (
    (78, 121, 167),
    (242, 142, 43),
    (225, 87, 89),
    (118, 183, 178),
    (89, 161, 79),
    (237, 201, 72),
    (176, 122, 161),
    (255, 157, 167),
    (156, 117, 95),
    (186, 176, 172),
)

#: Heat-map colours from low loss to high (a perceptually ordered ramp, as viridis).
RAMP = ((68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37))


def thin(values: Sequence[float], limit: int = MAX_PLOT_POINTS) -> tuple[list[int], list[float]]:
    """At most ``limit`` evenly spaced (step, value) pairs, always with the last one."""
    n = len(values)
    if n <= limit:
        return list(range(n)), [float(v) for v in values]
    idx = np.unique(np.linspace(0, n - 1, limit).round().astype(int))
    return [int(i) for i in idx], [float(values[i]) for i in idx]


def decade_ticks(low: float, high: float, most: int = 6) -> list[int]:
    """Whole powers of ten between ``low`` and ``high`` (log10 values), at most ``most`` of
    them, evenly spaced; at least the two around the range."""
    first, last = int(np.floor(low)), int(np.ceil(high))
    step = max(1, int(np.ceil((last - first) / max(1, most - 1))))
    return list(range(first, last + 1, step))


def param_colour(index: int) -> tuple[int, int, int]:
    """The colour of the ``index``-th param's line and name (repeats after ten)."""
    return PARAM_COLOURS[index % len(PARAM_COLOURS)]


def class_colour(k: int) -> tuple[int, int, int]:
    """Class ``k``'s colour in the decision regions (the params' palette, repeating after ten)."""
    return PARAM_COLOURS[k % len(PARAM_COLOURS)]


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def region_colour(k: int) -> tuple[int, int, int]:
    """The background of class ``k``'s region: its colour, dimmed, so points show on it."""
    return _mix(class_colour(k), (0, 0, 0), 0.55)


def point_colour(k: int) -> tuple[int, int, int]:
    """A data point labelled ``k``: its class colour, brightened."""
    return _mix(class_colour(k), (255, 255, 255), 0.3)


def ramp_colour(t: float) -> tuple[int, int, int]:
    """The ramp's colour at ``t`` in [0, 1]."""
    t = min(1.0, max(0.0, t)) * (len(RAMP) - 1)
    k = min(int(t), len(RAMP) - 2)
    f = t - k
    a, b = RAMP[k], RAMP[k + 1]
    return (round(a[0] + (b[0] - a[0]) * f), round(a[1] + (b[1] - a[1]) * f), round(a[2] + (b[2] - a[2]) * f))


def heat_cells(
    surface: Surface, cols: int | None = None, rows: int | None = None
) -> tuple[list[float], list[float], list[tuple[int, int, int]]]:
    """Coloured cells for a heat map of ``surface``; the colour follows log(1 + loss - min).

    With ``cols``/``rows`` the grid is resampled (nearest point) to that many cells, so a
    coarse grid still covers every character of the plot; undefined points are left out.
    """
    xs, ys, losses = surface.xs, surface.ys, surface.losses
    ok = np.isfinite(losses)
    if not ok.any():
        return [], [], []
    low = float(losses[ok].min())
    top = float(np.log1p(losses[ok].max() - low)) or 1.0
    fx = np.linspace(xs[0], xs[-1], cols) if cols else xs
    fy = np.linspace(ys[0], ys[-1], rows) if rows else ys
    ix = np.abs(fx[:, None] - xs[None, :]).argmin(axis=1)
    iy = np.abs(fy[:, None] - ys[None, :]).argmin(axis=1)
    cx: list[float] = []
    cy: list[float] = []
    colours: list[tuple[int, int, int]] = []
    for j, y in zip(iy, fy, strict=True):
        for i, x in zip(ix, fx, strict=True):
            v = losses[j, i]
            if np.isfinite(v):
                cx.append(float(x))
                cy.append(float(y))
                colours.append(ramp_colour(float(np.log1p(v - low)) / top))
    return cx, cy, colours

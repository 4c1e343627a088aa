"""An array value as text: a small table, or a summary with a shaded block map.

Pure text (no rich, no textual), for the explorer's panes and the CLI alike::

    print(array_text(np.array([[1.0, -0.5], [2.0, 0.25]])))
       0     1
    0  1  -0.5
    1  2  0.25

* A 0-d array is its number. An array whose last two axes fit :data:`TABLE_SIDE` x
  :data:`TABLE_SIDE` (and, with more axes, at most :data:`TABLE_SLICES` slices of them)
  is a table: right-aligned columns under their indices, rows after theirs, each slice
  of a 3-d or deeper array under its index (``[1, :, :]``). Numbers are written by
  :func:`cgtui.core.notation.format_number`, with 12 significant digits, or fewer (6, 4,
  3, 2) where the table would not fit the width otherwise.
* Anything bigger (or a table that cannot fit even with 2 digits) is a summary: its
  shape, min, max and mean over the finite entries, how many are NaN or infinite, and
  a block map: one character per block of entries, shaded ``░▒▓█`` from low to high by
  the block's mean (four equal bins between min and max), ``!`` where a block holds a
  NaN, ``+``/``-`` where it holds an infinity. The map is downsampled to the width and
  to ``height`` lines; a 1-d array is one line, deeper arrays have their leading axes
  as rows.

With ``ascii=True`` the text goes through :func:`cgtui.core.notation.ascii_fallback`,
which writes the shades as ``.:=#`` (one character each, so the map keeps its shape).
Every line is at most ``width`` characters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cgtui.core.lazy import np
from cgtui.core.notation import ascii_fallback, format_number

#: Rows and columns a table shows at most.
TABLE_SIDE = 8
#: Slices of the last two axes a table of a 3-d or deeper array shows at most.
TABLE_SLICES = 4
#: Significant digits tried, in turn, until a table fits its width.
DIGITS = (12, 6, 4, 3, 2)
#: Shades of the block map, low to high.
SHADES = "░▒▓█"
NAN_MARK, POSINF_MARK, NEGINF_MARK = "!", "+", "-"
_SAME = len(SHADES) // 2  # the shade of an array whose finite values are all equal
if TYPE_CHECKING:
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]


def number(x: float, digits: int = 12) -> str:
    """``x`` by notation's :func:`format_number`, rounded first to ``digits`` significant digits."""
    x = float(x)
    if digits < 12 and np.isfinite(x) and x != 0:
        x = float(f"{x:.{digits}g}")
    return format_number(x)


def array_text(
    value: npt.ArrayLike, *, width: int = 60, height: int = 12, ascii: bool = False
) -> str:
    """The array as a table or a summary (see the module's text), lines joined."""
    return "\n".join(array_lines(value, width=width, height=height, ascii=ascii))


def array_lines(
    value: npt.ArrayLike, *, width: int = 60, height: int = 12, ascii: bool = False
) -> list[str]:
    """The array as lines of at most ``width`` characters: a table if it is small enough
    to read, else a summary with a block map of at most ``height`` lines."""
    arr = np.asarray(value, dtype=np.float64)
    width = max(width, 1)
    lines = table_lines(arr, width)
    if lines is None:
        lines = summary_lines(arr, width=width, height=height)
    return [ascii_fallback(line) for line in lines] if ascii else lines


# --- tables ------------------------------------------------------------------------------------


def fits_table(shape: Sequence[int]) -> bool:
    """Whether an array of this shape is small enough to show as a table."""
    if len(shape) == 0:
        return True
    if any(n == 0 for n in shape):
        return False
    if shape[-1] > TABLE_SIDE or (len(shape) >= 2 and shape[-2] > TABLE_SIDE):
        return False
    return int(np.prod(shape[:-2])) <= TABLE_SLICES


def table_lines(arr: FloatArray, width: int) -> list[str] | None:
    """The table of ``arr`` in at most ``width`` characters, or None where it does not fit."""
    if not fits_table(arr.shape):
        return None
    if arr.ndim == 0:
        for digits in DIGITS:
            text = number(float(arr), digits)
            if len(text) <= width:
                return [text]
        return None
    for digits in DIGITS:
        lines = _table(arr, digits)
        if max(len(line) for line in lines) <= width:
            return lines
    return None


def _grid(matrix: FloatArray, digits: int, rows: bool) -> list[str]:
    """One 2-d block: column indices above, row indices (when ``rows``) before each row."""
    cells = [[number(v, digits) for v in row] for row in matrix]
    heads = [str(j) for j in range(matrix.shape[1])]
    widths = [max(len(heads[j]), *(len(r[j]) for r in cells)) for j in range(matrix.shape[1])]
    label = len(str(matrix.shape[0] - 1)) if rows else 0

    def line(lead: str, items: list[str]) -> str:
        body = "  ".join(item.rjust(w) for item, w in zip(items, widths, strict=True))
        return f"{lead.ljust(label)}  {body}".rstrip() if rows else body

    return [line("", heads), *(line(str(i), r) for i, r in enumerate(cells))]


def _table(arr: FloatArray, digits: int) -> list[str]:
    if arr.ndim == 1:
        return _grid(arr.reshape(1, -1), digits, rows=False)
    if arr.ndim == 2:
        return _grid(arr, digits, rows=True)
    lines: list[str] = []
    lead = arr.shape[:-2]
    for idx in np.ndindex(lead):
        if lines:
            lines.append("")
        lines.append("[" + ", ".join([*map(str, idx), ":", ":"]) + "]")
        lines.extend(_grid(arr[idx], digits, rows=True))
    return lines


# --- summaries ----------------------------------------------------------------------------------


def _shape_text(shape: Sequence[int]) -> str:
    return "(" + ", ".join(map(str, shape)) + (",)" if len(shape) == 1 else ")")


def _flow(items: Sequence[str], width: int) -> list[str]:
    """Items two spaces apart, as many to a line as fit; an item too long is cut."""
    lines: list[str] = []
    for item in items:
        if len(item) > width:
            item = (item[: width - 3] + "...")[:width]
        if lines and len(lines[-1]) + 2 + len(item) <= width:
            lines[-1] += "  " + item
        else:
            lines.append(item)
    return lines


def _edges(n: int, cells: int) -> list[tuple[int, int]]:
    """``cells`` nearly equal consecutive ranges covering ``0..n``."""
    return [(k * n // cells, (k + 1) * n // cells) for k in range(cells)]


def summary_lines(arr: npt.ArrayLike, *, width: int = 60, height: int = 12) -> list[str]:
    """Shape, statistics and a block map of at most ``height`` lines, ``width`` wide."""
    a = np.asarray(arr, dtype=np.float64)
    width = max(width, 1)
    height = max(height, 1)
    finite = a[np.isfinite(a)]
    nans = int(np.isnan(a).sum())
    infs = int(np.isinf(a).sum())
    items = [f"shape {_shape_text(a.shape)}", f"{a.size:,} values"]
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        mean = _mean(finite)
        items += [f"min {number(lo, 6)}", f"max {number(hi, 6)}", f"mean {number(mean, 6)}"]
    else:
        lo = hi = 0.0
        items.append("no finite values")
    if nans:
        items.append(f"{nans:,} NaN ({NAN_MARK})")
    if infs:
        items.append(f"{infs:,} infinite ({POSINF_MARK} {NEGINF_MARK})")
    lines = _flow(items, width)
    if a.size == 0:
        return lines
    grid = a.reshape(1, -1) if a.ndim <= 1 else a.reshape(-1, a.shape[-1])
    rows = _edges(grid.shape[0], min(grid.shape[0], height))
    cols = _edges(grid.shape[1], min(grid.shape[1], width))
    lines.extend("".join(_shade(grid[r0:r1, c0:c1], lo, hi) for c0, c1 in cols) for r0, r1 in rows)
    per_row = max(r1 - r0 for r0, r1 in rows)
    per_col = max(c1 - c0 for c0, c1 in cols)
    if per_row > 1 or per_col > 1:
        lines.extend(_flow([f"each mark: mean of up to {per_row}x{per_col} values"], width))
    if finite.size and hi > lo:
        step = hi / len(SHADES) - lo / len(SHADES)
        lows = [number(_round_to(lo + k * step, step)) for k in range(len(SHADES))]
        legend = [f"{s} from {v}" for s, v in zip(SHADES, lows, strict=True)]
        legend[-1] += f" to {number(_round_to(hi, step))}"
        lines.extend(_flow(legend, width))
    elif finite.size:
        lines.extend(_flow([f"{SHADES[_SAME]} every finite value is {number(lo)}"], width))
    return lines


def _mean(x: FloatArray) -> float:
    """The mean of finite numbers, scaled first so that no sum overflows."""
    scale = float(np.max(np.abs(x)))
    if scale == 0.0:
        return 0.0
    return float(np.mean(x / scale)) * scale


def _round_to(x: float, step: float) -> float:
    """``x`` to four digits of ``step`` (bin edges between -1 and 1 read 0, not 1.91e-08)."""
    if not 0.0 < step < math.inf:
        return x
    quantum = 10.0 ** (math.floor(math.log10(step)) - 3)
    if quantum == 0.0:  # below the smallest float
        return x
    steps = x / quantum
    if not abs(steps) < 2.0**52:  # finer than a float: nothing to round
        return x
    rounded = round(steps) * quantum
    return rounded if abs(rounded) < math.inf else x


def _shade(block: FloatArray, lo: float, hi: float) -> str:
    if np.isnan(block).any():
        return NAN_MARK
    if np.isposinf(block).any():
        return POSINF_MARK
    if np.isneginf(block).any():
        return NEGINF_MARK
    if hi <= lo:
        return SHADES[_SAME]
    span = hi - lo
    if span < math.inf:
        k = int((_mean(block) - lo) / span * len(SHADES))
    else:  # in halves: the largest floats' range overflows (and a tiny one's half is 0.0)
        k = int((_mean(block) * 0.5 - lo * 0.5) / (hi * 0.5 - lo * 0.5) * len(SHADES))
    return SHADES[min(max(k, 0), len(SHADES) - 1)]

"""Array values as text: small tables, summaries with a block map, width limits, ASCII."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import examples
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cgtui.core import notation
from cgtui.draw.arrays import SHADES, TABLE_SIDE, array_lines, array_text, fits_table, number, summary_lines


def test_a_0d_array_is_its_number() -> None:
    assert array_lines(np.array(3.5)) == ["3.5"]
    assert array_lines(2.0) == ["2"]
    assert array_lines(np.array(1 / 3)) == [notation.format_number(1 / 3)] == ["0.333333333333"]
    assert array_lines(np.array(1 / 3), width=8) == ["0.333333"]  # fewer digits to fit


def test_a_1d_array_is_a_row_under_its_indices() -> None:
    assert array_lines(np.array([1 / 3, 2.0, -7.25])) == [
        "             0  1      2",
        "0.333333333333  2  -7.25",
    ]


def test_a_2d_array_is_a_table_with_row_and_column_indices() -> None:
    assert array_lines(np.array([[1.0, -0.5], [2.0, 0.25]])) == [
        "   0     1",
        "0  1  -0.5",
        "1  2  0.25",
    ]


def test_a_3d_array_is_its_slices_each_under_its_index() -> None:
    lines = array_lines(np.arange(8.0).reshape(2, 2, 2))
    assert lines == [
        "[0, :, :]",
        "   0  1",
        "0  0  1",
        "1  2  3",
        "",
        "[1, :, :]",
        "   0  1",
        "0  4  5",
        "1  6  7",
    ]


def test_an_8x8_table_shows_every_entry_with_fewer_digits_where_needed() -> None:
    a = np.arange(64.0).reshape(8, 8) / 7
    lines = array_lines(a, width=80)
    assert len(lines) == 9 and all(len(line) <= 80 for line in lines)
    cells = [line.split()[1:] for line in lines[1:]]
    got = np.array([[float(c) for c in row] for row in cells])
    np.testing.assert_allclose(got, a, rtol=1e-3)  # rounded, never wrong
    assert number(a[0, 1], 4) == "0.1429"


def test_non_finite_entries_in_a_table() -> None:
    assert array_lines(np.array([np.nan, np.inf, -np.inf, 1e300])) == [
        "  0    1     2       3",
        "nan  inf  -inf  1e+300",
    ]


def test_a_large_array_is_a_summary_with_a_block_map() -> None:
    a = np.tile(np.arange(60.0), (50, 1))  # values grow to the right
    lines = array_lines(a, width=60, height=10)
    assert lines[0] == "shape (50, 60)  3,000 values  min 0  max 59  mean 29.5"
    block = lines[1:11]
    assert all(line == block[0] for line in block)
    assert block[0] == "░" * 15 + "▒" * 15 + "▓" * 15 + "█" * 15
    assert lines[11] == "each mark: mean of up to 5x1 values"
    assert lines[12] == "░ from 0  ▒ from 14.75  ▓ from 29.5  █ from 44.25 to 59"
    assert len(lines) == 13


def test_the_block_map_is_downsampled_to_the_width_and_height() -> None:
    a = np.arange(100 * 200.0).reshape(100, 200)
    lines = array_lines(a, width=40, height=5)
    shaded = [line for line in lines if set(line) <= set(SHADES)]
    assert len(shaded) == 5 and all(len(line) == 40 for line in shaded)
    assert shaded[0][0] == SHADES[0] and shaded[-1][-1] == SHADES[-1]
    assert "each mark: mean of up to 20x5 values" in lines
    assert all(len(line) <= 40 for line in lines)


def test_a_long_1d_array_is_one_line_of_marks() -> None:
    lines = array_lines(np.arange(100.0), width=50)
    assert lines[1] == "░" * 13 + "▒" * 12 + "▓" * 12 + "█" * 13
    assert "each mark: mean of up to 1x2 values" in lines


def test_deeper_arrays_map_their_leading_axes_as_rows() -> None:
    a = np.zeros((5, 4, 10))
    a[4] = 1.0
    lines = array_lines(a, width=60, height=40)
    assert lines[0].startswith("shape (5, 4, 10)  200 values")
    shaded = [line for line in lines if set(line) <= set(SHADES)]
    assert shaded == [SHADES[0] * 10] * 16 + [SHADES[-1] * 10] * 4


def test_nan_and_infinities_are_counted_and_marked_where_they_are() -> None:
    a = np.zeros((30, 30))
    a[0, 0] = np.nan
    a[29, 29] = np.inf
    a[29, 0] = -np.inf
    a[15, 15] = 1.0
    lines = array_lines(a, width=30, height=30)
    assert any("1 NaN (!)" in line for line in lines[:3])
    assert any("2 infinite (+ -)" in line for line in lines[:3])
    shaded = [line for line in lines if len(line) == 30 and set(line) <= set(SHADES) | set("!+-")]
    assert shaded[0][0] == "!" and shaded[-1][-1] == "+" and shaded[-1][0] == "-"
    assert shaded[15][15] == SHADES[-1] and shaded[1][1] == SHADES[0]


def test_an_array_with_no_finite_value() -> None:
    lines = array_lines(np.full((20, 20), np.nan), width=60, height=4)
    assert lines[0] == "shape (20, 20)  400 values  no finite values  400 NaN (!)"
    assert lines[1:5] == ["!" * 20] * 4


def test_equal_values_take_one_shade_and_say_so() -> None:
    lines = array_lines(np.full((10, 10), 2.5), height=2)
    assert lines[1:3] == [SHADES[2] * 10] * 2
    assert lines[-1] == f"{SHADES[2]} every finite value is 2.5"


def test_the_largest_floats_do_not_overflow() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lines = array_lines(np.array([-1e308, 1e308] * 10, dtype=float))
    assert lines[0] == "shape (20,)  20 values  min -1e+308  max 1e+308  mean 0"
    assert lines[1] == (SHADES[0] + SHADES[-1]) * 10


def test_ascii_writes_the_shades_one_character_each() -> None:
    a = np.tile(np.arange(60.0), (50, 1))
    unicode_lines = array_lines(a, width=60, height=3)
    ascii_lines = array_lines(a, width=60, height=3, ascii=True)
    assert all(line.isascii() for line in ascii_lines)
    assert [len(x) for x in ascii_lines] == [len(x) for x in unicode_lines]
    assert ascii_lines[1] == "." * 15 + ":" * 15 + "=" * 15 + "#" * 15
    assert notation.ascii_fallback(SHADES) == ".:=#"  # the one ASCII map, also for the CLI's streams


def test_what_is_a_table() -> None:
    assert fits_table(())
    assert fits_table((TABLE_SIDE, TABLE_SIDE))
    assert not fits_table((TABLE_SIDE + 1,))
    assert not fits_table((2, TABLE_SIDE + 1))
    assert fits_table((4, 2, 2)) and not fits_table((5, 2, 2))
    assert not fits_table((0, 3))


def test_an_empty_array() -> None:
    assert array_lines(np.zeros((0, 3))) == ["shape (0, 3)  0 values  no finite values"]


def test_a_table_too_wide_even_with_two_digits_is_a_summary() -> None:
    a = -np.arange(1.0, 9.0).reshape(1, 8) * 12345.678
    assert array_lines(a, width=200)[1].split()[1] == "-12345.678"
    narrow = array_lines(a, width=40)
    assert narrow[0].startswith("shape (1, 8)")
    assert summary_lines(a, width=40) == narrow


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=20),
        elements=st.floats(allow_nan=True, allow_infinity=True),
    ),
    st.integers(1, 100),
    st.integers(1, 20),
    st.booleans(),
)
@example(np.array([5e-324, 0.0]), 1, 1, False)  # a range so small that half of it is 0.0
def test_every_line_fits_the_width(a: np.ndarray, width: int, height: int, ascii: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lines = array_lines(a, width=width, height=height, ascii=ascii)
    assert lines
    assert all(len(line) <= width for line in lines), (width, lines)
    if ascii:
        assert all(line.isascii() for line in lines)
    text = array_text(a, width=width, height=height, ascii=ascii)
    assert text == "\n".join(lines)


@settings(max_examples=examples(60), deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=8),
        elements=st.floats(-1e6, 1e6),
    )
)
def test_a_wide_enough_table_writes_every_number_as_notation_does(a: np.ndarray) -> None:
    lines = array_lines(a, width=1000)
    rows = lines[1:]
    cells = [line.split()[1:] if a.ndim == 2 else line.split() for line in rows]
    assert cells == [[notation.format_number(v) for v in row] for row in a.reshape(-1, a.shape[-1])]


@pytest.mark.parametrize("digits", [2, 3, 4, 6])
def test_numbers_with_fewer_digits_round_to_them(digits: int) -> None:
    assert number(2 / 3, digits) == notation.format_number(float(f"{2 / 3:.{digits}g}"))
    assert number(np.inf, digits) == "inf" and number(np.nan, digits) == "nan"
    assert number(0.0, digits) == "0"

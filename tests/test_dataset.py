"""The data, reduction and training sections: parsing and every error message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph
from cgtui.lang import yamlio
from cgtui.lang.build import from_expression
from cgtui.learn.dataset import (
    check_lr,
    check_steps,
    dataset_from_graph,
    parse_csv,
    parse_data,
    parse_reduction,
    parse_training,
    read_csv,
    rows_to_dataset,
    training_settings,
)

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def regression() -> Graph:
    return from_expression(
        "L = (w1*x1 + w2*x2 + b - y)^2",
        params={"w1", "w2", "b"},
        labels={"y"},
        values={"w1": 1.0, "w2": -1.0, "b": 0.25},
    )


# --- inline rows -------------------------------------------------------------------------


def test_rows_become_one_column_per_input_and_label() -> None:
    rows = [{"x1": 1, "x2": 2.5, "y": -1}, {"x1": "3", "x2": 0, "y": 4.25}]
    ds = rows_to_dataset(rows, regression())
    assert ds.rows == 2
    assert sorted(ds.columns) == ["x1", "x2", "y"]
    np.testing.assert_array_equal(ds.columns["x1"], [1.0, 3.0])
    np.testing.assert_array_equal(ds.columns["y"], [-1.0, 4.25])
    assert ds.columns["x2"].dtype == np.float64
    assert ds.row(1) == {"x1": 3.0, "x2": 0.0, "y": 4.25}
    assert ds.reduction == "mean"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"x1": 1, "x2": 2, "y": 3, "x3": 4}], "data row 1: unknown column 'x3'"),
        ([{"x1": 1, "x2": 2, "yy": 3}], "did you mean 'y'?"),
        ([{"x1": 1, "x2": 2, "y": 3, "w1": 1}], "'w1' is a param, not an input or label"),
        ([{"x1": 1, "x2": 2, "y": 3}, {"x1": 1, "y": 2}], "data row 2 has no value for input 'x2'"),
        ([{"x1": 1, "x2": 2}], "data row 1 has no value for label 'y'"),
        (
            [{"x1": 1, "x2": 2, "y": 3}] * 3 + [{"x1": "abc", "x2": 1, "y": 2}],
            "data row 4, column 'x1': 'abc' is not a number",
        ),
        ([{"x1": True, "x2": 2, "y": 3}], "data row 1, column 'x1': true is not a number"),
        ([{"x1": None, "x2": 2, "y": 3}], "data row 1, column 'x1' is empty"),
        ([{"x1": float("inf"), "x2": 2, "y": 3}], "not a finite number"),
        ([{"x1": [1], "x2": 2, "y": 3}], "[1] is not a number"),
        ([[1, 2, 3]], "data row 1 must be a mapping"),
        ([], "the data section has no rows"),
    ],
)
def test_bad_rows_name_the_row_and_column(rows: list[object], message: str) -> None:
    with pytest.raises(CgtuiError) as err:
        rows_to_dataset(rows, regression())
    assert message in str(err.value)


def test_a_computed_step_is_not_a_column() -> None:
    g = from_expression("z = w*x; L = (z - y)^2", params={"w"}, labels={"y"})
    with pytest.raises(CgtuiError, match="'z' is a computed step"):
        rows_to_dataset([{"x": 1, "y": 2, "z": 3}], g)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("points.csv", "must be a list of rows or {file: points.csv}"),
        ({"path": "points.csv"}, "unknown key 'path'"),
        ({"file": 3}, "data.file must be a file name"),
        (42, "got int"),
    ],
)
def test_bad_data_sections(spec: object, message: str) -> None:
    with pytest.raises(CgtuiError) as err:
        parse_data(spec, regression())
    assert message in str(err.value)


# --- CSV ---------------------------------------------------------------------------------


def test_csv_with_comments_blank_lines_and_any_column_order() -> None:
    text = "# made up\n\ny, x2 ,x1\n1,2,3\n\n4,5,6\n"
    ds = parse_csv(text, regression(), file="p.csv")
    assert ds.rows == 2
    np.testing.assert_array_equal(ds.columns["x1"], [3.0, 6.0])
    np.testing.assert_array_equal(ds.columns["x2"], [2.0, 5.0])
    np.testing.assert_array_equal(ds.columns["y"], [1.0, 4.0])
    assert ds.origin == "p.csv"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x1,x2,y\n1,2,3\n4,5\n", "2 cells, expected 3 (x1, x2, y) at line 3 in p.csv"),
        ("x1,x2,y\n1,2,3\n4,five,6\n", "column 'x2': 'five' is not a number at line 3 in p.csv"),
        ("x1,x2,y\n1,,3\n", "column 'x2' is empty at line 2 in p.csv"),
        ("x1,x2,y,x9\n1,2,3,4\n", "unknown column 'x9'"),
        ("x1,x2\n1,2\n", "no column for label 'y' (the header has x1, x2) at line 1 in p.csv"),
        ("x1,x1,x2,y\n1,1,2,3\n", "column 'x1' appears twice in the header at line 1"),
        ("x1,,y\n", "empty column name"),
        ("", "the data file is empty"),
        ("# only a comment\n", "the data file is empty"),
        ("x1,x2,y\n", "has a header but no rows at line 1"),
        ('x1,x2,y\n1,"2"x,3\n', "bad CSV"),
        ("x1,x2,y\n1,2,nan\n", "not a finite number at line 2"),
    ],
)
def test_bad_csv_names_the_line(text: str, message: str) -> None:
    with pytest.raises(CgtuiError) as err:
        parse_csv(text, regression(), file="p.csv")
    assert message in str(err.value)


def test_csv_file_relative_to_the_base_dir(tmp_path: Path) -> None:
    (tmp_path / "pts.csv").write_text("x1,x2,y\n1,2,3\n")
    g = regression()
    g.extra["data"] = {"file": "pts.csv"}
    g.extra["reduction"] = "sum"
    ds = dataset_from_graph(g, tmp_path)
    assert ds is not None and ds.rows == 1 and ds.reduction == "sum"
    with pytest.raises(CgtuiError, match=r"data file pts\.csv not found"):
        dataset_from_graph(g, tmp_path / "elsewhere")


def test_csv_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"x1,x2,y\n1,2,\xff\n")
    with pytest.raises(CgtuiError, match="not UTF-8"):
        read_csv(path, regression())


def test_no_data_section_means_no_dataset() -> None:
    assert dataset_from_graph(regression()) is None


# --- reduction and training settings ---------------------------------------------------


def test_reduction() -> None:
    assert parse_reduction(None) == "mean"
    assert parse_reduction("Sum") == "sum"
    with pytest.raises(CgtuiError, match="reduction must be 'mean' or 'sum', got 'avg'"):
        parse_reduction("avg")


def test_training_settings() -> None:
    s = parse_training({"lr": 0.1, "steps": 200, "expect_loss_below": 0.05})
    assert (s.lr, s.steps, s.expect_loss_below) == (0.1, 200, 0.05)
    empty = parse_training(None)
    assert (empty.lr, empty.steps, empty.expect_loss_below) == (None, None, None)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"rate": 0.1}, "unknown training setting 'rate'"),
        ({"lr": -0.1}, "training.lr must be positive"),
        ({"lr": "fast"}, "training.lr must be a number, got 'fast'"),
        ({"lr": float("nan")}, "finite"),
        ({"steps": 2.5}, "training.steps must be a whole number"),
        ({"steps": -3}, "must not be negative"),
        ({"steps": True}, "whole number"),
        ([1, 2], "must be a mapping"),
    ],
)
def test_bad_training_settings(section: object, message: str) -> None:
    with pytest.raises(CgtuiError) as err:
        parse_training(section)
    assert message in str(err.value)


def test_flag_values_are_checked_like_the_file() -> None:
    assert check_lr("0.5") == 0.5
    assert check_steps("20") == 20
    with pytest.raises(CgtuiError, match="--lr must be positive"):
        check_lr("0", "--lr")
    with pytest.raises(CgtuiError, match="at most"):
        check_steps(10**9)


# --- the samples ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["linear_regression.yaml", "logistic_regression.yaml", "xor_mlp.yaml"])
def test_samples_carry_data_and_settings(name: str) -> None:
    g = yamlio.load(SAMPLES / name)
    ds = dataset_from_graph(g, SAMPLES)
    assert ds is not None and ds.rows >= 4
    s = training_settings(g)
    assert s.lr is not None and s.steps is not None and s.expect_loss_below is not None


def test_csv_data_is_found_beside_the_yaml_file_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cgtui.lang.samples import sample_path
    from cgtui.lang.yamlio import load
    from cgtui.learn.dataset import dataset_from_graph

    monkeypatch.chdir(tmp_path)
    graph = load(sample_path("linear_regression.yaml"))
    assert graph.origin == sample_path("linear_regression.yaml").resolve()
    data = dataset_from_graph(graph)
    assert data is not None and data.rows == 12

"""Datasets and training settings: the ``data``, ``reduction`` and ``training`` sections.

A YAML graph may carry rows of values for its inputs and labels, either inline::

    data:
      - {x: 1.0, y: 2.1}
      - {x: 2.0, y: 3.9}

or in a CSV file beside it (a header line naming the columns, then one row per line)::

    data: {file: points.csv}

plus how the per-row losses are combined (``reduction: mean``, the default, or ``sum``)
and the settings ``cgtui train`` starts from::

    training: {lr: 0.1, steps: 200, expect_loss_below: 0.05}

Each column becomes one float64 array, so a whole batch goes through the graph in one
vectorised pass (see :mod:`cgtui.learn.train`). Every problem is reported as a
:class:`CgtuiError` naming the row or line and the column.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cgtui.core.errors import CgtuiError, did_you_mean
from cgtui.core.graph import Graph, Kind
from cgtui.core.lazy import np
from cgtui.core.numbers import NUMBER, checked_float, shown
from cgtui.lang.files import read_bytes_capped

#: Reductions of the per-row losses to one number.
REDUCTIONS = ("mean", "sum")

#: CSV files larger than this are refused.
MAX_CSV_BYTES = 50 * 1024 * 1024

#: Learning rates and step counts beyond these are refused as typing mistakes.
MAX_STEPS = 10_000_000

TRAINING_KEYS = ("lr", "steps", "expect_loss_below", "expect_accuracy")

FloatArray = np.ndarray


@dataclass(frozen=True)
class Dataset:
    """Columns of values for a graph's inputs and labels, one array per node name."""

    columns: dict[str, FloatArray]
    rows: int
    reduction: str = "mean"
    origin: str = "data"  # where the rows came from, for messages

    def row(self, r: int) -> dict[str, float]:
        return {name: float(col[r]) for name, col in self.columns.items()}

    def describe(self) -> str:
        rows = f"{self.rows} row{'s' if self.rows != 1 else ''}"
        return f"{rows} from {self.origin}, {self.reduction} of the losses"


@dataclass(frozen=True)
class TrainingSettings:
    """The ``training:`` section; None where the file says nothing."""

    lr: float | None = None
    steps: int | None = None
    expect_loss_below: float | None = None
    expect_accuracy: float | None = None  # a classifier's accuracy after training, at least


# --- the graph's side ----------------------------------------------------------------


def data_nodes(graph: Graph) -> list[str]:
    """The names that data rows give values to: the graph's inputs and labels."""
    return [n.name for n in graph.nodes if n.kind in (Kind.INPUT, Kind.LABEL)]


def _column_problem(graph: Graph, name: str, wanted: Sequence[str]) -> str | None:
    """Why ``name`` cannot be a data column, or None when it can."""
    if name in wanted:
        return None
    if name in graph.index:
        kind = graph.node(name).kind
        what = "a computed step" if kind is Kind.COMPUTATION else f"a {kind.value}"
        return f"'{name}' is {what}, not an input or label; data gives values only to inputs and labels"
    listing = ", ".join(wanted) if wanted else "none"
    hint = did_you_mean(name, wanted, inside=True)
    return f"unknown column '{name}' (the graph's inputs and labels: {listing}{hint})"


# --- sections ---------------------------------------------------------------------------


def parse_reduction(value: object) -> str:
    """``mean`` (the default, also for a missing section) or ``sum``."""
    if value is None:
        return "mean"
    if isinstance(value, str) and value.strip().lower() in REDUCTIONS:
        return value.strip().lower()
    raise CgtuiError(f"reduction must be 'mean' or 'sum', got {value!r}")


def _number(value: object, what: str) -> float:
    return checked_float(value, what)


def check_lr(value: object, what: str = "the learning rate") -> float:
    lr = _number(value, what)
    if lr <= 0:
        raise CgtuiError(f"{what} must be positive, got {value!r}")
    return lr


def check_steps(value: object, what: str = "the number of steps") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise CgtuiError(f"{what} must be a whole number, got {value!r}")
    number = _number(value, what)
    if not number.is_integer():
        raise CgtuiError(f"{what} must be a whole number, got {value!r}")
    steps = int(number)
    if steps < 0:
        raise CgtuiError(f"{what} must not be negative, got {value!r}")
    if steps > MAX_STEPS:
        raise CgtuiError(f"{what} is at most {MAX_STEPS:,}, got {steps:,}")
    return steps


def parse_training(section: object) -> TrainingSettings:
    """Validate a ``training:`` section (missing: all None)."""
    if section is None:
        return TrainingSettings()
    if not isinstance(section, Mapping):
        raise CgtuiError(
            "the training section must be a mapping like {lr: 0.1, steps: 200}, "
            f"got {type(section).__name__}"
        )
    for key in section:
        if key not in TRAINING_KEYS:
            raise CgtuiError(
                f"unknown training setting '{key}' "
                f"(known: {', '.join(TRAINING_KEYS)}{did_you_mean(str(key), TRAINING_KEYS, inside=True)})"
            )
    lr = section.get("lr")
    steps = section.get("steps")
    bound = section.get("expect_loss_below")
    accuracy = section.get("expect_accuracy")
    return TrainingSettings(
        expect_accuracy=None if accuracy is None else _number(accuracy, "training.expect_accuracy"),
        lr=None if lr is None else check_lr(lr, "training.lr"),
        steps=None if steps is None else check_steps(steps, "training.steps"),
        expect_loss_below=None if bound is None else _number(bound, "training.expect_loss_below"),
    )


def training_settings(graph: Graph) -> TrainingSettings:
    return parse_training(graph.extra.get("training"))


def dataset_from_graph(graph: Graph, base_dir: str | Path | None = None) -> Dataset | None:
    """The graph's dataset, or None when it has no ``data`` section.

    ``data: {file: NAME}`` is read relative to ``base_dir``; by default the directory of
    the YAML file the graph was loaded from (``graph.origin``), else the working directory.
    """
    if base_dir is None and graph.origin is not None:
        base_dir = graph.origin.parent
    reduction = parse_reduction(graph.extra.get("reduction"))
    spec = graph.extra.get("data")
    if spec is None:
        return None
    return parse_data(spec, graph, base_dir=base_dir, reduction=reduction)


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` (symbolic links followed) lies in ``folder``. An error message may
    quote a data file's contents only then: ``data: {file: /proc/self/environ}`` or a link
    to ``../secret`` never gets its lines echoed."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError, ValueError):
        return False


def parse_data(
    spec: object, graph: Graph, *, base_dir: str | Path | None = None, reduction: str = "mean"
) -> Dataset:
    """A ``data`` section: a list of rows, or ``{file: points.csv}``."""
    if isinstance(spec, Mapping):
        unknown = [k for k in spec if k != "file"]
        if unknown or "file" not in spec:
            raise CgtuiError(
                "the data section must be a list of rows like [{x: 1, y: 2}, ...] or {file: points.csv}"
                + (f" (unknown key '{unknown[0]}')" if unknown else "")
            )
        name = spec["file"]
        if not isinstance(name, str) or not name.strip():
            raise CgtuiError(f"data.file must be a file name, got {name!r}")
        path = Path(name)
        if not path.is_absolute():
            path = Path(base_dir or ".") / path
        if _inside(path, Path(base_dir or ".")):
            return read_csv(path, graph, reduction=reduction, display=name)
        try:
            return read_csv(path, graph, reduction=reduction, display=name)
        except CgtuiError as exc:
            if exc.file is None:  # not found, unreadable, too large: nothing of its contents
                raise
            where = f" (line {exc.line})" if exc.line is not None else ""
            raise CgtuiError(
                f"data file {name} is not a CSV of the graph's inputs and labels{where}; it is outside "
                f"the graph's folder {Path(base_dir or '.').resolve()}, so none of its contents are shown"
            ) from None
    if isinstance(spec, (list, tuple)):
        return rows_to_dataset(spec, graph, reduction=reduction)
    raise CgtuiError(
        f"the data section must be a list of rows or {{file: points.csv}}, got {type(spec).__name__}"
    )


def _cell(value: object, where: str) -> float:
    if value is None:
        raise CgtuiError(f"{where} is empty")
    if isinstance(value, bool):
        raise CgtuiError(f"{where}: {str(value).lower()} is not a number")
    if isinstance(value, str):
        value = value.strip()
        if not value:
            raise CgtuiError(f"{where} is empty")
        if not NUMBER.fullmatch(value):
            infinite = value.lower().lstrip("+-") in ("inf", "nan", "infinity")
            what = "a finite number" if infinite else "a number"
            raise CgtuiError(f"{where}: '{shown(value)}' is not {what}")
    elif not isinstance(value, (int, float)):
        raise CgtuiError(f"{where}: {shown(repr(value))} is not a number")
    elif isinstance(value, float) and not math.isfinite(value):
        raise CgtuiError(f"{where}: {value!r} is not a finite number")
    return checked_float(value, where)


def rows_to_dataset(rows: Sequence[object], graph: Graph, *, reduction: str = "mean") -> Dataset:
    """Inline rows ``[{x: 1.0, y: 2.1}, ...]``: each must give every input and label."""
    wanted = data_nodes(graph)
    if not rows:
        raise CgtuiError("the data section has no rows")
    if not wanted:
        raise CgtuiError("the data section gives rows, but the graph has no inputs or labels to take them")
    columns = {name: np.empty(len(rows), dtype=np.float64) for name in wanted}
    for r, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise CgtuiError(
                f"data row {r} must be a mapping of column names to numbers like {{x: 1, y: 2}}, "
                f"got {type(row).__name__}"
            )
        for key in row:
            problem = _column_problem(graph, str(key), wanted)
            if problem is not None:
                raise CgtuiError(f"data row {r}: {problem}")
        for name in wanted:
            if name not in row:
                kind = graph.node(name).kind.value
                raise CgtuiError(
                    f"data row {r} has no value for {kind} '{name}' "
                    "(every row gives every input and label; a fixed value is a constant)"
                )
            columns[name][r - 1] = _cell(row[name], f"data row {r}, column '{name}'")
    return Dataset(columns, len(rows), reduction, "the data section")


def read_csv(path: Path, graph: Graph, *, reduction: str = "mean", display: str | None = None) -> Dataset:
    """A CSV file with a header line naming the columns (inputs and labels)."""
    shown = display or str(path)
    try:
        raw = read_bytes_capped(path, MAX_CSV_BYTES, f"data file {shown}")
    except FileNotFoundError:
        raise CgtuiError(f"data file {shown} not found (looked for {path.resolve()})") from None
    except OSError as exc:
        raise CgtuiError(f"cannot read data file {shown}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CgtuiError(f"data file {shown} is not UTF-8 text (byte {exc.start})") from None
    return parse_csv(text, graph, reduction=reduction, file=shown)


def parse_csv(text: str, graph: Graph, *, reduction: str = "mean", file: str = "<csv>") -> Dataset:
    wanted = data_nodes(graph)
    reader = csv.reader(io.StringIO(text), skipinitialspace=True, strict=True)
    header: list[str] | None = None
    header_line = 0
    cells: list[list[float]] = []
    try:
        for record in reader:
            line = reader.line_num
            if not record or all(not c.strip() for c in record) or record[0].lstrip().startswith("#"):
                continue  # blank lines and comments
            if header is None:
                header = [c.strip() for c in record]
                header_line = line
                seen: set[str] = set()
                for name in header:
                    if not name:
                        raise CgtuiError("the header has an empty column name", line=line, file=file)
                    if name in seen:
                        raise CgtuiError(f"column '{name}' appears twice in the header", line=line, file=file)
                    seen.add(name)
                    problem = _column_problem(graph, name, wanted)
                    if problem is not None:
                        raise CgtuiError(problem, line=line, file=file)
                for name in wanted:
                    if name not in seen:
                        kind = graph.node(name).kind.value
                        raise CgtuiError(
                            f"no column for {kind} '{name}' (the header has {', '.join(header)})",
                            line=line,
                            file=file,
                        )
                continue
            if len(record) != len(header):
                raise CgtuiError(
                    f"{len(record)} cell{'s' if len(record) != 1 else ''}, expected {len(header)} "
                    f"({', '.join(header)})",
                    line=line,
                    file=file,
                )
            row: list[float] = []
            for name, cell in zip(header, record, strict=True):
                try:
                    row.append(_cell(cell, f"column '{name}'"))
                except CgtuiError as exc:
                    raise CgtuiError(exc.message, line=line, file=file) from None
            cells.append(row)
    except csv.Error as exc:
        raise CgtuiError(f"bad CSV: {exc}", line=reader.line_num, file=file) from None
    if header is None:
        raise CgtuiError("the data file is empty (expected a header line naming the columns)", file=file)
    if not cells:
        raise CgtuiError("the data file has a header but no rows", line=header_line, file=file)
    table = np.array(cells, dtype=np.float64)
    columns = {name: np.ascontiguousarray(table[:, header.index(name)]) for name in wanted}
    return Dataset(columns, len(cells), reduction, file)


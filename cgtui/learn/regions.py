"""A classifier's decision regions over the plane of its two input features.

For a graph whose loss is made with ``cross_entropy(logits, labels)`` and whose logits
depend on one input of shape ``(N, 2)`` (as ``samples/spiral_mlp.yaml``), every point of
the plane gets the class the model picks there: :func:`predict` puts K points in the
input's place and runs the nodes the logits depend on once, as one batch of K rows (the
labels, the loss and everything else past the logits are not computed), and takes each
row's largest logit. :func:`decision_regions` does it for a grid of cell centres around
the data. :func:`regions_problem` says why a graph has no such picture.

Numbers only: the picture is drawn by :mod:`cgtui.draw.regions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cgtui.core.errors import CgtuiError, NumericalFault, name_list
from cgtui.core.graph import Kind
from cgtui.core.lazy import np
from cgtui.engine.engine import evaluate_node
from cgtui.learn.train import Problem, Value

#: Grid points one forward pass takes at most (each hidden node holds a row per point).
GRID_POINTS = 4096


@dataclass(frozen=True)
class Classifier:
    """Where a 2-feature classifier's pieces sit in its graph."""

    input: int  # the input node of shape (N, 2)
    logits: int  # the scores node, (N, C)
    labels: int  # the labels node: (N,) class indices or (N, C) one-hot rows


@dataclass
class Regions:
    """The class picked at each cell centre, and the data.

    ``classes[j, i]`` is the class at ``(xs[i], ys[j])``; ``ys`` ascend (row 0 is the
    bottom of the plane). ``x_span``/``y_span`` are the edges of the grid's cells."""

    input_name: str
    xs: np.ndarray
    ys: np.ndarray
    x_span: tuple[float, float]
    y_span: tuple[float, float]
    classes: np.ndarray  # (rows, cols) ints
    points: np.ndarray  # (N, 2)
    labels: np.ndarray  # (N,) ints
    n_classes: int


def regions_problem(problem: Problem) -> Classifier | str:
    """The classifier's nodes, or a sentence saying why this graph has no decision regions."""
    graph = problem.graph
    if problem.classifier is None:
        return (
            "no decision regions: the loss is not made with cross_entropy(logits, labels), "
            "so the graph does not pick a class for each row"
        )
    node = graph.nodes[problem.classifier]
    logits, labels = node.operands
    inputs = sorted(i for i in graph.ancestors(logits) if graph.nodes[i].kind is Kind.INPUT)
    names = [graph.nodes[i].name for i in inputs]
    if len(inputs) != 1:
        what = "no input" if not inputs else f"{len(inputs)} inputs ({name_list(names)})"
        return f"no decision regions: the logits depend on {what}; they are drawn for one input of 2 features"
    x = inputs[0]
    shape = np.shape(problem.base[x])
    if len(shape) != 2 or shape[1] != 2:
        return (
            f"no decision regions: the input {names[0]} has shape {shape}; they are drawn over a plane, "
            f"for an input of shape (N, 2): one row per point, 2 features"
        )
    return Classifier(x, logits, labels)


def _logits(
    problem: Problem, params: Mapping[str, Value], points: np.ndarray, where: Classifier
) -> np.ndarray:
    graph = problem.graph
    vals = problem._values(params)
    vals[where.input] = points
    with np.errstate(all="ignore"):
        for i in sorted(graph.ancestors(where.logits) | {where.logits}):
            if graph.nodes[i].op is None:
                continue
            v, fault = evaluate_node(graph, i, vals)
            if fault is not None:
                node = graph.nodes[i]
                raise NumericalFault(f"{node.name}: {fault}", node=node.name, op=node.op)
            vals[i] = v
    return np.asarray(vals[where.logits], dtype=np.float64)


def predict(
    problem: Problem, params: Mapping[str, Value], points: np.ndarray, where: Classifier
) -> np.ndarray:
    """The class the model picks for each of K points (a (K, 2) array): the index of the
    largest logit, from one forward pass with the points as the input's K rows."""
    scores = _logits(problem, params, np.asarray(points, dtype=np.float64), where)
    return np.asarray(scores.argmax(axis=-1), dtype=np.int64)


def class_labels(problem: Problem, where: Classifier) -> np.ndarray:
    """Each data row's class: the label itself, or the hot column of a one-hot row."""
    labels = np.asarray(problem.base[where.labels], dtype=np.float64)
    if labels.ndim == 2:
        return np.asarray(labels.argmax(axis=-1), dtype=np.int64)
    return labels.astype(np.int64)


def grid_span(values: np.ndarray, margin: float = 0.1) -> tuple[float, float]:
    """The data's range padded by ``margin`` of its width on each side (at least 1 wide)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    pad = max(hi - lo, 1.0) * margin
    if hi - lo < 1.0:
        pad += (1.0 - (hi - lo)) / 2
    return lo - pad, hi + pad


def decision_regions(
    problem: Problem, params: Mapping[str, Value], where: Classifier, *, cols: int, rows: int
) -> Regions:
    """The class at the centre of each of ``cols`` x ``rows`` cells covering the data."""
    if cols < 1 or rows < 1:
        raise CgtuiError("the decision regions need at least one cell")
    data = np.asarray(problem.base[where.input], dtype=np.float64)
    x_span, y_span = grid_span(data[:, 0]), grid_span(data[:, 1])
    xs = x_span[0] + (np.arange(cols) + 0.5) * (x_span[1] - x_span[0]) / cols
    ys = y_span[0] + (np.arange(rows) + 0.5) * (y_span[1] - y_span[0]) / rows
    gx, gy = np.meshgrid(xs, ys)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    picks: list[np.ndarray] = []
    count = 0
    for start in range(0, len(grid), GRID_POINTS):  # a big terminal: a few batches
        scores = _logits(problem, params, grid[start : start + GRID_POINTS], where)
        picks.append(scores.argmax(axis=-1))
        count = int(scores.shape[-1])
    classes = np.concatenate(picks).reshape(rows, cols)
    labels = class_labels(problem, where)
    count = max(count, int(labels.max(initial=-1)) + 1)
    name = problem.graph.nodes[where.input].name
    return Regions(name, xs, ys, x_span, y_span, classes, data, labels, count)

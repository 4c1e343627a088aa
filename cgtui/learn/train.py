"""Learning the params: batch evaluation, gradient descent, and the loss landscape.

A :class:`Problem` is a graph, its loss output and (optionally) a :class:`Dataset`.
Evaluating it runs the engine's plain passes once over the whole batch: each input and
label node holds its column (an array with one entry per row), params and constants are
single numbers that broadcast, so every node computed from data is a column too. The
per-row losses are then reduced (mean or sum); the engine's backward pass seeds ones and
sums each param's contributions over the rows, which is the gradient of the *sum*; the
mean divides by the number of rows (the same as seeding ``1/N``). :meth:`Problem.evaluate_rows`
does the same by looping over the rows one at a time, as a reference.

:class:`Trainer` takes descent steps ``p <- p - lr * dL/dp`` on the params only. If a
step sends the loss (or a param, or a gradient) to inf or NaN, or out of an op's domain,
training stops at that step, says so, and keeps the last params whose loss was finite.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cgtui.core.errors import CgtuiError, NumericalFault, name_list
from cgtui.core.graph import Graph, Kind
from cgtui.core.lazy import np
from cgtui.core.notation import format_number, inline_value, operand, partial_name, value_text
from cgtui.engine.engine import backward, differentiable, forward, leaf_values
from cgtui.learn.dataset import Dataset, check_lr

Value = Any  # float or float64 ndarray

#: Grid evaluations are split so that one chunk holds at most this many numbers per node.
GRID_CHUNK = 400_000


@dataclass
class BatchResult:
    """The reduced loss at one set of params, with every node's value and partial."""

    loss: float
    rows: int
    per_row: Value  # the output's value: one per row (an array) or one number
    values: list[Value]
    grads: dict[str, Value]  # dL/dparam for each param (an array param: an array), in graph order
    raw_partials: list[Value | None] = field(default_factory=list)  # of the sum over rows
    scale: float = 1.0  # 1/N for the mean, else 1

    @cached_property
    def partials(self) -> list[Value | None]:
        """d(reduced loss)/dnode for every node; per row for nodes computed from data."""
        if self.scale == 1.0:
            return self.raw_partials
        return [None if p is None else p * self.scale for p in self.raw_partials]


class Problem:
    """A graph, the output to minimise and the rows to average (or sum) it over."""

    def __init__(
        self,
        graph: Graph,
        dataset: Dataset | None = None,
        output: str | int | None = None,
        values: Mapping[str, float] | None = None,
    ) -> None:
        self.graph = graph
        self.dataset = dataset
        if output is None:
            if not graph.outputs:
                raise CgtuiError("the graph has no output to minimise")
            self.output = graph.outputs[0]
        else:
            self.output = graph.lookup(output) if isinstance(output, str) else output
        self.output_name = graph.nodes[self.output].name
        self.reduction = dataset.reduction if dataset is not None else "mean"
        self.rows = dataset.rows if dataset is not None else 1
        self.param_index = {n.name: i for i, n in enumerate(graph.nodes) if n.kind is Kind.PARAM}
        if not self.param_index:
            raise CgtuiError("the graph has no params to learn (mark leaves as params, e.g. --param w,b)")
        base = leaf_values(graph, values)
        if dataset is not None:
            for name, column in dataset.columns.items():
                base[graph.lookup(name)] = column
        missing = [graph.nodes[i] for i in graph.leaves() if base[i] is None]
        if missing:
            names = name_list([f"{n.kind.value} {n.name}" for n in missing])
            if all(n.kind is Kind.PARAM for n in missing):
                hint = "give initial values"
            else:
                hint = "give values, or data rows for the inputs and labels"
            raise CgtuiError(f"no value for {names} ({hint})")
        self.base: list[Value] = base
        ancestors = graph.ancestors(self.output) | {self.output}
        data_names = set(dataset.columns) if dataset is not None else set()
        #: whether the loss has one value per row (it depends on some data column)
        self.batched = any(graph.nodes[i].name in data_names for i in ancestors)
        #: The nodes backprop gives a partial: for a tensor graph only what the params
        #: need (no gradient for the data arrays); None: the engine's default, every node.
        self._needs = differentiable(graph, params_only=True) if graph.has_arrays else None

    # --- params -----------------------------------------------------------------------

    @property
    def param_names(self) -> list[str]:
        return list(self.param_index)

    def initial_params(self) -> dict[str, Value]:
        """Each param's starting value: a float, or a copy of an array param's array."""
        return {name: _param(self.base[i]) for name, i in self.param_index.items()}

    @cached_property
    def classifier(self) -> int | None:
        """The ``cross_entropy(logits, labels)`` node the loss is made of (the last one on
        the way to the output), if there is one: the graph is then a classifier."""
        nodes = self.graph.nodes
        on_the_way = (*self.graph.ancestors(self.output), self.output)
        found = [i for i in on_the_way if nodes[i].op == "cross_entropy"]
        return max(found) if found else None

    def accuracy(self, values: Sequence[Value]) -> float | None:
        """For a classifier: the share of rows whose largest logit is their label's
        class; None for other graphs."""
        if self.classifier is None:
            return None
        node = self.graph.nodes[self.classifier]
        logits, labels = (np.asarray(values[p], dtype=float) for p in node.operands)
        classes = labels.argmax(axis=-1) if labels.ndim == 2 else labels
        return float(np.mean(logits.argmax(axis=-1) == classes))

    def _values(self, params: Mapping[str, Value] | None) -> list[Value]:
        vals = list(self.base)
        for name, v in (params or {}).items():
            i = self.param_index.get(name)
            if i is None:
                known = ", ".join(self.param_index)
                raise CgtuiError(f"'{name}' is not a param of the graph (params: {known})")
            vals[i] = v
        return vals

    # --- evaluation ---------------------------------------------------------------------

    def _reduce(self, out: Value) -> float:
        if not self.batched:
            if np.ndim(out) > 0:  # a graph of arrays whose output is not one number
                raise CgtuiError(
                    f"the output {self.output_name} holds an array of shape {np.shape(out)}: training "
                    f"minimises one number; make the loss a scalar, e.g. mean(...) or sum(...) of it"
                )
            return float(out)
        with np.errstate(all="ignore"):  # an overflowing sum is inf, which the trainer reports
            total = float(np.sum(out))
        return total / self.rows if self.reduction == "mean" else total

    def evaluate(self, params: Mapping[str, Value] | None = None) -> BatchResult:
        """The loss and its gradient at ``params``, over all rows in one vectorised pass."""
        vals = forward(self.graph, self._values(params))
        out = vals[self.output]
        partials = backward(self.graph, vals, self.output, needs=self._needs)
        # the engine seeds ones: these are the partials of the sum over rows
        scale = 1.0 / self.rows if self.batched and self.reduction == "mean" else 1.0
        grads = {name: _gradient(partials[i], self.base[i]) * scale for name, i in self.param_index.items()}
        return BatchResult(self._reduce(out), self.rows, out, vals, grads, partials, scale)

    def evaluate_rows(self, params: Mapping[str, float] | None = None) -> BatchResult:
        """The same as :meth:`evaluate`, one row at a time (the slow reference)."""
        if self.dataset is None or not self.batched:
            return self.evaluate(params)
        base = self._values(params)
        names = list(self.dataset.columns)
        idx = [self.graph.lookup(n) for n in names]
        cols = [self.dataset.columns[n].tolist() for n in names]
        total = 0.0
        per_row: list[float] = []
        grads = dict.fromkeys(self.param_index, 0.0)
        pidx = list(self.param_index.items())
        vals: list[Value] = []
        for r in range(self.rows):
            row_vals = list(base)
            for i, col in zip(idx, cols, strict=True):
                row_vals[i] = col[r]
            vals = forward(self.graph, row_vals)
            loss = float(vals[self.output])
            partials = backward(self.graph, vals, self.output)
            per_row.append(loss)
            total += loss
            for name, i in pidx:
                grads[name] += _as_float(partials[i])
        if self.reduction == "mean":
            total /= self.rows
            grads = {k: v / self.rows for k, v in grads.items()}
        return BatchResult(total, self.rows, np.array(per_row), vals, grads)

    def loss_at(self, points: Mapping[str, FloatLike]) -> np.ndarray:
        """The loss at K points in param space, in vectorised chunks.

        ``points`` maps some param names to arrays of K values; the other params keep
        their base values. Points where the graph is undefined give NaN.
        """
        arrays = {name: np.asarray(v, dtype=np.float64).ravel() for name, v in points.items()}
        sizes = {a.size for a in arrays.values()}
        if len(sizes) != 1:
            raise CgtuiError("every param in a grid needs the same number of points")
        k_total = sizes.pop()
        out = np.full(k_total, np.nan)
        chunk = max(1, GRID_CHUNK // max(1, self.rows))
        for start in range(0, k_total, chunk):
            stop = min(k_total, start + chunk)
            block = {name: a[start:stop, None] for name, a in arrays.items()}
            try:
                out[start:stop] = self._grid_losses(block, stop - start)
            except NumericalFault:
                for j in range(start, stop):
                    single = {name: a[j : j + 1, None] for name, a in arrays.items()}
                    try:
                        out[j] = self._grid_losses(single, 1)[0]
                    except NumericalFault:
                        out[j] = np.nan
        return out

    def _grid_losses(self, block: Mapping[str, np.ndarray], k: int) -> np.ndarray:
        vals = forward(self.graph, self._values(block))
        out = np.asarray(vals[self.output], dtype=np.float64)
        # grid values are (k, 1) columns, data are (N,) rows: batched results are (k, N)
        if self.batched:
            total: np.ndarray = np.broadcast_to(out, (k, self.rows)).sum(axis=1)
            return total / self.rows if self.reduction == "mean" else total
        return np.array(np.broadcast_to(out, (k, 1)).reshape(k))


FloatLike = Any  # a float, a sequence of floats, or an array


def _param(v: Value) -> Value:
    return np.array(v, dtype=float) if isinstance(v, np.ndarray) else float(v)


def _gradient(g: Value | None, like: Value) -> Value:
    """dL/dparam in the param's shape: an array param's partial stays an array."""
    if isinstance(like, np.ndarray):
        return np.zeros_like(like) if g is None else np.asarray(g, dtype=float)
    return _as_float(g)


def finite(v: Value) -> bool:
    if type(v) is float:
        return math.isfinite(v)
    return math.isfinite(v.sum()) or bool(np.all(np.isfinite(v)))  # a finite sum: all finite


def _as_float(v: Value | None) -> float:
    if v is None:
        return 0.0
    if type(v) is float:
        return v
    return float(np.sum(v))


# --- descent --------------------------------------------------------------------------


@dataclass
class StepRecord:
    """One descent step: p <- p - lr * dL/dp for every param."""

    step: int  # 1 for the first step
    lr: float
    loss_before: float
    loss_after: float
    grads: dict[str, Value]
    before: dict[str, Value]
    after: dict[str, Value]

    def lines(self) -> list[str]:
        out = []
        for name, old in self.before.items():
            g = self.grads[name]
            if np.ndim(old) > 0:  # an array param: each array on one line, briefly
                out.append(f"{name} <- {name} - lr * {partial_name('L', name)}  (entry by entry):")
                out.append(f"  {name} was {brief_value(old)}")
                out.append(f"  {partial_name('L', name)} {brief_value(g)}")
                out.append(f"  {name} is now {brief_value(self.after[name])}")
                continue
            out.append(
                f"{name} <- {name} - lr * {partial_name('L', name)} = {format_number(old)} - "
                f"{format_number(self.lr)} * {operand(format_number(g))} = {format_number(self.after[name])}"
            )
        out.append(f"loss {format_number(self.loss_before)} -> {format_number(self.loss_after)}")
        return out


#: An array of at most this many entries is written out in the step's arithmetic.
BRIEF_ENTRIES = 6


def brief_value(v: Value) -> str:
    """An array on one line: its entries when there are few, else its shape and mean."""
    if np.size(v) <= BRIEF_ENTRIES:
        return inline_value(v)
    return value_text(v)


@dataclass
class Outcome:
    """How a run ended."""

    steps_done: int
    reason: str  # "done", "diverged", "stopped"
    message: str
    initial_loss: float
    final_loss: float
    params: dict[str, Value] = field(default_factory=dict)

    @property
    def diverged(self) -> bool:
        return self.reason == "diverged"


class Diverged(Exception):
    """A step left the finite numbers; the trainer keeps its previous params."""


class Trainer:
    """Gradient descent on a problem's params, with the loss and params after every step."""

    def __init__(self, problem: Problem, lr: float, params: Mapping[str, Value] | None = None) -> None:
        self.problem = problem
        self.lr = check_lr(lr)
        start = problem.initial_params()
        start.update({k: _param(v) for k, v in (params or {}).items()})
        self.params: dict[str, Value] = start
        self.current = problem.evaluate(self.params)  # a bad start is bad input: it raises
        if not math.isfinite(self.current.loss):
            raise NumericalFault(f"the loss is not finite at the initial params ({self.current.loss})")
        self.losses: list[float] = [self.current.loss]
        #: a classifier's accuracy after every step (:meth:`Problem.accuracy`); empty for
        #: other graphs
        self.accuracies: list[float] = []
        self._record_accuracy(self.current)
        self.trajectory: dict[str, list[Value]] = {k: [v] for k, v in self.params.items()}
        self.steps_done = 0
        self.divergence: str | None = None

    def set_lr(self, lr: float) -> None:
        self.lr = check_lr(lr)

    def _record_accuracy(self, result: BatchResult) -> None:
        accuracy = self.problem.accuracy(result.values)
        if accuracy is not None:
            self.accuracies.append(accuracy)

    @property
    def accuracy(self) -> float | None:
        """A classifier's accuracy at the current params; None for other graphs."""
        return self.accuracies[-1] if self.accuracies else None

    def step(self) -> StepRecord:
        """One descent step; raises :class:`Diverged` (params unchanged) if it leaves the finite."""
        if self.divergence is not None:
            raise Diverged(self.divergence)
        grads = self.current.grads
        number = self.steps_done + 1
        new: dict[str, Value] = {}
        with np.errstate(all="ignore"):
            for name, value in self.params.items():
                new[name] = value - self.lr * grads[name]
        bad = [k for k, v in new.items() if not finite(v)]
        if bad:
            self._diverge(number, f"param {bad[0]} became {format_number(new[bad[0]])}")
        bad_grads = [k for k, v in grads.items() if not finite(v)]
        if bad_grads:
            first = bad_grads[0]
            self._diverge(number, f"{partial_name('L', first)} is {format_number(grads[first])}")
        try:
            result = self.problem.evaluate(new)
        except NumericalFault as exc:
            self._diverge(number, str(exc))
        if not math.isfinite(result.loss):
            self._diverge(number, f"the loss became {format_number(result.loss)}")
        bad_grads = [k for k, v in result.grads.items() if not finite(v)]
        if bad_grads:
            first = bad_grads[0]
            self._diverge(number, f"{partial_name('L', first)} became {format_number(result.grads[first])}")
        record = StepRecord(
            number, self.lr, self.current.loss, result.loss, dict(grads), dict(self.params), new
        )
        self.params = new
        self.current = result
        self.steps_done = number
        self.losses.append(result.loss)
        self._record_accuracy(result)
        for k, v in new.items():
            self.trajectory[k].append(v)
        return record

    def _diverge(self, number: int, problem: str) -> None:
        self.divergence = (
            f"training diverged at step {number} (lr {format_number(self.lr)}): {problem}; "
            f"kept the params from step {number - 1} (loss {format_number(self.current.loss)})"
        )
        raise Diverged(self.divergence)

    def run(
        self,
        steps: int,
        *,
        on_step: Callable[[Trainer, StepRecord], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> Outcome:
        """Take up to ``steps`` steps; stop early on divergence or when ``should_stop()``."""
        initial = self.losses[0]
        done = 0
        for _ in range(steps):
            if should_stop is not None and should_stop():
                return self.outcome("stopped", f"stopped after {done} steps")
            try:
                record = self.step()
            except Diverged as exc:
                return self.outcome("diverged", str(exc))
            done += 1
            if on_step is not None:
                on_step(self, record)
        message = f"{done} steps: loss {format_number(initial)} -> {format_number(self.current.loss)}"
        if self.current.loss > initial:
            message += " (the loss grew: the learning rate may be too large)"
        return self.outcome("done", message)

    def outcome(self, reason: str, message: str) -> Outcome:
        """The state so far as an :class:`Outcome` (``reason``: done, diverged or stopped)."""
        return Outcome(self.steps_done, reason, message, self.losses[0], self.current.loss, dict(self.params))


# --- the loss landscape --------------------------------------------------------------------


@dataclass
class Slice:
    """The loss along one param with the others held fixed, and the tangent there."""

    param: str
    at: float  # the param's current value
    loss: float  # the loss there
    slope: float  # dL/dparam there
    xs: np.ndarray
    losses: np.ndarray  # NaN where the graph is undefined

    def tangent(self) -> np.ndarray:
        return self.loss + self.slope * (self.xs - self.at)


def span_around(values: Sequence[float], *, margin: float = 0.5, minimum: float = 1.0) -> tuple[float, float]:
    """An interval holding every value, padded, at least ``minimum`` wide."""
    lo, hi = float(min(values)), float(max(values))
    centre = (lo + hi) / 2
    width = max(hi - lo, minimum, abs(centre) * 0.5) * (1 + 2 * margin)
    return centre - width / 2, centre + width / 2


def loss_slice(
    problem: Problem,
    params: Mapping[str, Value],
    name: str,
    *,
    points: int = 81,
    span: tuple[float, float] | None = None,
) -> Slice:
    """Loss vs ``name`` around its value (the other params held fixed). ``name`` is a
    scalar param or one entry of an array param (``W1[0,3]``, see :func:`coordinates`)."""
    pname, index = split_coordinate(problem, name)
    here = problem.evaluate(params)
    at = coordinate_value(params, pname, index)
    lo, hi = span if span is not None else span_around([at])
    xs = np.linspace(lo, hi, points)
    if _vectorised(problem):
        fixed = _fixed(problem, params, {name})
        losses = problem_with(problem, fixed).loss_at({name: xs})
    else:
        losses = _losses_one_by_one(problem, params, [(pname, index)], [xs])
    return Slice(name, at, here.loss, coordinate_value(here.grads, pname, index), xs, losses)


@dataclass
class Surface:
    """The loss over a grid of two params: ``losses[j, i]`` at ``(xs[i], ys[j])``."""

    x: str
    y: str
    xs: np.ndarray
    ys: np.ndarray
    losses: np.ndarray


def loss_surface(
    problem: Problem,
    params: Mapping[str, Value],
    x: str,
    y: str,
    *,
    xs: np.ndarray,
    ys: np.ndarray,
) -> Surface:
    """Loss over the grid ``xs`` x ``ys`` of two params, or two entries of array params
    (the rest held fixed)."""
    where = [split_coordinate(problem, c) for c in (x, y)]
    if x == y:
        raise CgtuiError("pick two different params for the surface")
    gx, gy = np.meshgrid(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))
    if _vectorised(problem):
        fixed = _fixed(problem, params, {x, y})
        flat = problem_with(problem, fixed).loss_at({x: gx.ravel(), y: gy.ravel()})
    else:
        flat = _losses_one_by_one(problem, params, where, [gx.ravel(), gy.ravel()])
    return Surface(x, y, np.asarray(xs, dtype=float), np.asarray(ys, dtype=float), flat.reshape(gx.shape))


def _fixed(problem: Problem, params: Mapping[str, Value], varied: set[str]) -> dict[str, float]:
    return {k: float(v) for k, v in params.items() if k not in varied}


def problem_with(problem: Problem, params: Mapping[str, float]) -> Problem:
    """A view of ``problem`` whose base values hold ``params``."""
    view = Problem.__new__(Problem)
    view.__dict__.update(problem.__dict__)
    view.base = problem._values(params)
    return view


# --- entries of array params --------------------------------------------------------------

Index = tuple[int, ...]
_ENTRY = re.compile(r"(?P<name>[^\[\]]+)\[(?P<index>\d+(?:,\d+)*)\]")


def entry_name(name: str, index: Index) -> str:
    """One entry of an array param, written as numpy indexes it: ``W1[0,3]``."""
    return f"{name}[{','.join(map(str, index))}]"


def _is_array(v: Value) -> bool:
    return isinstance(v, np.ndarray) and v.ndim > 0


def split_coordinate(problem: Problem, coordinate: str) -> tuple[str, Index | None]:
    """``"w"`` -> ``("w", None)``, ``"W1[0,3]"`` -> ``("W1", (0, 3))``; a clear error for
    anything that is not a scalar param or an entry of an array param."""
    known = f"params: {', '.join(problem.param_index)}"
    if coordinate in problem.param_index:
        v = problem.base[problem.param_index[coordinate]]
        if _is_array(v):
            example = entry_name(coordinate, (0,) * v.ndim)
            raise CgtuiError(f"'{coordinate}' is an array {v.shape}: pick one entry of it, e.g. {example}")
        return coordinate, None
    m = _ENTRY.fullmatch(coordinate.replace(" ", ""))
    if m is None or m["name"] not in problem.param_index:
        raise CgtuiError(f"'{coordinate}' is not a param or an entry of one ({known})")
    name = m["name"]
    index = tuple(int(k) for k in m["index"].split(","))
    v = problem.base[problem.param_index[name]]
    shape = v.shape if _is_array(v) else ()
    if len(index) != len(shape) or any(k >= n for k, n in zip(index, shape, strict=False)):
        raise CgtuiError(f"'{coordinate}': {name} has shape {shape}, which has no entry {list(index)}")
    return name, index


def coordinate_value(params: Mapping[str, Value], name: str, index: Index | None) -> float:
    """The number a coordinate stands for in ``params`` (or in a gradient's dict)."""
    v = params[name]
    return float(v if index is None else v[index])


def coordinate_path(trainer: Trainer, coordinate: str) -> list[float]:
    """A coordinate's value after every step so far."""
    name, index = split_coordinate(trainer.problem, coordinate)
    return [float(v if index is None else v[index]) for v in trainer.trajectory[name]]


def _vectorised(problem: Problem) -> bool:
    """Whether :meth:`Problem.loss_at` can stack many points in one pass: only for scalar
    graphs (an array param given a batch axis would change what ``@`` and ``sum`` do)."""
    return not problem.graph.has_arrays


def _losses_one_by_one(
    problem: Problem,
    params: Mapping[str, Value],
    varied: Sequence[tuple[str, Index | None]],
    columns: Sequence[np.ndarray],
) -> np.ndarray:
    """The loss at K points, one forward pass each: coordinate ``varied[c]`` takes
    ``columns[c][k]`` at point k, everything else keeps ``params``. NaN where undefined."""
    base = problem._values(params)
    k_total = int(columns[0].size)
    out = np.full(k_total, np.nan)
    slots = [problem.param_index[name] for name, _ in varied]
    for k in range(k_total):
        vals = list(base)
        copied: set[int] = set()
        for (_name, index), slot, column in zip(varied, slots, columns, strict=True):
            if index is None:
                vals[slot] = float(column[k])
                continue
            if slot not in copied:  # the caller's array stays theirs
                vals[slot] = np.array(vals[slot], dtype=np.float64)
                copied.add(slot)
            vals[slot][index] = column[k]
        try:
            out[k] = problem._reduce(forward(problem.graph, vals)[problem.output])
        except NumericalFault:
            out[k] = np.nan
    return out

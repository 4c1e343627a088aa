"""Batch evaluation, gradient descent and the loss landscape."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from cgtui.core.errors import CgtuiError, NumericalFault
from cgtui.core.graph import Graph, Kind
from cgtui.lang import yamlio
from cgtui.lang.build import from_expression
from cgtui.learn.dataset import Dataset, dataset_from_graph, rows_to_dataset, training_settings
from cgtui.learn.train import Problem, Trainer, loss_slice, loss_surface, span_around

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
REGRESSION = "L = (w1*x1 + w2*x2 + b - y)^2"


def regression(**values: float) -> Graph:
    start = {"w1": 1.0, "w2": -1.0, "b": 0.25, **values}
    return from_expression(REGRESSION, params={"w1", "w2", "b"}, labels={"y"}, values=start)


def regression_rows(n: int, seed: int = 0) -> list[dict[str, float]]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    y = 2 * x[:, 0] - x[:, 1] + 0.5 + rng.normal(0, 0.1, n)
    return [{"x1": float(a), "x2": float(c), "y": float(t)} for (a, c), t in zip(x, y, strict=True)]


def regression_problem(n: int = 30, reduction: str = "mean", seed: int = 0) -> Problem:
    g = regression()
    ds = rows_to_dataset(regression_rows(n, seed), g, reduction=reduction)
    return Problem(g, ds)


# --- batch evaluation ----------------------------------------------------------------------


def test_one_row_is_worked_example_3() -> None:
    g = regression()
    ds = rows_to_dataset([{"x1": 2.0, "x2": 0.5, "y": 1.0}], g)
    r = Problem(g, ds).evaluate()
    assert r.loss == pytest.approx(0.5625)
    assert r.grads == pytest.approx({"w1": 3.0, "w2": 0.75, "b": 1.5})


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_vectorised_pass_equals_the_row_loop(reduction: str) -> None:
    p = regression_problem(50, reduction)
    fast, slow = p.evaluate(), p.evaluate_rows()
    assert isinstance(fast.per_row, np.ndarray) and fast.per_row.shape == (50,)
    assert fast.loss == pytest.approx(slow.loss, rel=1e-12)
    for name in p.param_names:
        assert fast.grads[name] == pytest.approx(slow.grads[name], rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(fast.per_row, slow.per_row, rtol=1e-12)


def test_sum_is_n_times_mean() -> None:
    mean, total = regression_problem(17, "mean").evaluate(), regression_problem(17, "sum").evaluate()
    assert total.loss == pytest.approx(17 * mean.loss)
    for name, g in mean.grads.items():
        assert total.grads[name] == pytest.approx(17 * g)


def test_mean_partials_are_per_row_shares() -> None:
    p = regression_problem(8)
    r = p.evaluate()
    out = r.partials[p.output]
    assert out is not None
    # the seed of the mean is 1/N on every row
    np.testing.assert_allclose(np.asarray(out), np.full(8, 1 / 8))


@settings(max_examples=examples(40), deadline=None)
@given(
    st.lists(
        st.tuples(*[st.floats(-5, 5, allow_nan=False) for _ in range(3)]),
        min_size=1,
        max_size=12,
    ),
    st.tuples(*[st.floats(-3, 3, allow_nan=False) for _ in range(3)]),
    st.sampled_from(["mean", "sum"]),
)
def test_batch_gradient_matches_torch(
    rows: list[tuple[float, float, float]], params: tuple[float, float, float], reduction: str
) -> None:
    g = regression(w1=params[0], w2=params[1], b=params[2])
    ds = rows_to_dataset([{"x1": a, "x2": c, "y": t} for a, c, t in rows], g, reduction=reduction)
    r = Problem(g, ds).evaluate()
    data = torch.tensor(rows, dtype=torch.float64)
    w = torch.tensor(params, dtype=torch.float64, requires_grad=True)
    per_row = (w[0] * data[:, 0] + w[1] * data[:, 1] + w[2] - data[:, 2]) ** 2
    loss = per_row.mean() if reduction == "mean" else per_row.sum()
    loss.backward()  # type: ignore[no-untyped-call]
    assert w.grad is not None
    assert r.loss == pytest.approx(loss.item(), rel=1e-9, abs=1e-12)
    for k, name in enumerate(("w1", "w2", "b")):
        assert r.grads[name] == pytest.approx(w.grad[k].item(), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("name", ["logistic_regression.yaml", "xor_mlp.yaml", "linear_regression.yaml"])
def test_samples_vectorised_equals_loop(name: str) -> None:
    g = yamlio.load(SAMPLES / name)
    p = Problem(g, dataset_from_graph(g, SAMPLES))
    params = {k: v + 0.1 * (i + 1) for i, (k, v) in enumerate(p.initial_params().items())}
    fast, slow = p.evaluate(params), p.evaluate_rows(params)
    assert fast.loss == pytest.approx(slow.loss, rel=1e-12)
    assert fast.grads == pytest.approx(slow.grads, rel=1e-10, abs=1e-13)


def test_gradient_matches_central_differences_on_the_xor_net() -> None:
    g = yamlio.load(SAMPLES / "xor_mlp.yaml")
    p = Problem(g, dataset_from_graph(g, SAMPLES))
    params = p.initial_params()
    r = p.evaluate(params)
    h = 1e-6
    for name in params:
        up = p.evaluate({**params, name: params[name] + h}).loss
        down = p.evaluate({**params, name: params[name] - h}).loss
        assert r.grads[name] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-8)


def test_a_loss_that_ignores_the_data_is_not_averaged() -> None:
    g = from_expression("L = (w*x - y)^2 + 0*x; R = w^2", params={"w"}, labels={"y"}, values={"w": 3.0})
    ds = rows_to_dataset([{"x": 1, "y": 1}, {"x": 2, "y": 2}], g, reduction="sum")
    r = Problem(g, ds, output="R").evaluate()
    assert r.loss == 9.0 and r.grads["w"] == 6.0


def test_problem_errors() -> None:
    g = from_expression("L = (w*x - y)^2", labels={"y"})
    with pytest.raises(CgtuiError, match="no params to learn"):
        Problem(g)
    g2 = from_expression("L = (w*x - y)^2", params={"w"}, labels={"y"}, values={"x": 1.0, "y": 2.0})
    with pytest.raises(CgtuiError, match="no value for param w"):
        Problem(g2)
    g3 = from_expression("L = (w*x - y)^2", params={"w"}, labels={"y"}, values={"w": 1.0})
    with pytest.raises(CgtuiError, match="no value for input x, label y"):
        Problem(g3)
    p = regression_problem(3)
    with pytest.raises(CgtuiError, match="'x1' is not a param"):
        p.evaluate({"x1": 2.0})


# --- descent ---------------------------------------------------------------------------------


def test_descent_moves_params_only_and_lowers_the_loss() -> None:
    p = regression_problem(40)
    before = {n.name: n.value for n in p.graph.nodes}
    t = Trainer(p, 0.1)
    record = t.step()
    assert record.step == 1
    for name in p.param_names:
        assert record.after[name] == pytest.approx(record.before[name] - 0.1 * record.grads[name])
    assert record.loss_after < record.loss_before
    assert any("w1 <- w1 - lr * dL/dw1 = 1 - 0.1 * " in line for line in record.lines())
    outcome = t.run(300)
    assert outcome.reason == "done" and outcome.steps_done == 301
    assert len(t.losses) == 302 and len(t.trajectory["w1"]) == 302
    assert all(b <= a + 1e-15 for a, b in zip(t.losses, t.losses[1:], strict=False))
    assert t.params["w1"] == pytest.approx(2.0, abs=0.1)
    assert t.params["w2"] == pytest.approx(-1.0, abs=0.1)
    # the graph itself and the data are untouched
    assert {n.name: n.value for n in p.graph.nodes} == before
    assert p.dataset is not None and p.dataset.rows == 40


def test_divergence_stops_and_keeps_the_last_finite_params() -> None:
    p = regression_problem(20)
    t = Trainer(p, 50.0)
    outcome = t.run(1000)
    assert outcome.diverged
    assert outcome.steps_done < 1000
    assert f"diverged at step {outcome.steps_done + 1}" in outcome.message
    assert f"kept the params from step {outcome.steps_done}" in outcome.message
    assert all(math.isfinite(v) for v in outcome.params.values())
    assert math.isfinite(outcome.final_loss)
    assert outcome.params == {k: v[-1] for k, v in t.trajectory.items()}
    assert p.evaluate(outcome.params).loss == outcome.final_loss
    assert t.run(5).diverged  # it stays stopped


def test_leaving_a_domain_is_divergence_too() -> None:
    # log(w) with a step that jumps past 0
    g = from_expression("L = (log(w) - y)^2", params={"w"}, labels={"y"}, values={"w": 1.0})
    ds = rows_to_dataset([{"y": -3.0}], g)  # dL/dw = 6 at w = 1: w jumps to -5
    t = Trainer(Problem(g, ds), 1.0)
    outcome = t.run(10)
    assert outcome.diverged
    assert "log of" in outcome.message
    assert t.params["w"] > 0


def test_stop_request_and_bad_settings() -> None:
    p = regression_problem(5)
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    outcome = Trainer(p, 0.1).run(100, should_stop=stop)
    assert outcome.reason == "stopped" and outcome.steps_done == 3
    with pytest.raises(CgtuiError, match="must be positive"):
        Trainer(p, 0.0)
    g = from_expression("L = log(w - 2)", params={"w"}, values={"w": 1.0})
    with pytest.raises(NumericalFault):
        Trainer(Problem(g), 0.1)


def test_training_without_data_uses_the_graphs_own_values() -> None:
    g = yamlio.load(SAMPLES / "squared_error.yaml")
    t = Trainer(Problem(g, None), 0.05)
    t.run(100)
    assert t.current.loss < 1e-10
    x, y = 2.0, 1.0
    assert t.params["w"] * x + t.params["b"] == pytest.approx(y)


@pytest.mark.parametrize("name", ["linear_regression.yaml", "logistic_regression.yaml", "xor_mlp.yaml"])
def test_each_sample_converges_with_its_own_settings(name: str) -> None:
    g = yamlio.load(SAMPLES / name)
    settings_ = training_settings(g)
    assert settings_.lr is not None and settings_.steps is not None
    bound = settings_.expect_loss_below
    assert bound is not None
    t = Trainer(Problem(g, dataset_from_graph(g, SAMPLES)), settings_.lr)
    assert t.current.loss > bound  # the bound says something
    outcome = t.run(settings_.steps)
    assert outcome.reason == "done"
    assert outcome.final_loss < bound, outcome.message


def test_logistic_sample_separates_the_clusters() -> None:
    g = yamlio.load(SAMPLES / "logistic_regression.yaml")
    ds = dataset_from_graph(g, SAMPLES)
    assert ds is not None
    t = Trainer(Problem(g, ds), 0.5)
    t.run(300)
    z = t.params["w1"] * ds.columns["x1"] + t.params["w2"] * ds.columns["x2"] + t.params["b"]
    np.testing.assert_array_equal(z > 0, ds.columns["y"] == 1)


# --- the landscape ----------------------------------------------------------------------------


def test_slice_passes_through_the_current_loss_with_the_right_slope() -> None:
    p = regression_problem(25)
    params = p.initial_params()
    s = loss_slice(p, params, "w1", points=101, span=(0.0, 2.0))
    assert s.at == 1.0
    mid = int(np.argmin(np.abs(s.xs - 1.0)))
    assert s.xs[mid] == pytest.approx(1.0)
    assert s.losses[mid] == pytest.approx(s.loss, rel=1e-12)
    numeric = (s.losses[mid + 1] - s.losses[mid - 1]) / (s.xs[mid + 1] - s.xs[mid - 1])
    assert s.slope == pytest.approx(numeric, rel=1e-6)  # a quadratic: central differences are exact
    np.testing.assert_allclose(s.tangent()[mid], s.loss)
    # every grid point agrees with a separate evaluation
    for k in (0, 37, 100):
        assert s.losses[k] == pytest.approx(p.evaluate({**params, "w1": float(s.xs[k])}).loss, rel=1e-12)


def test_slice_marks_undefined_points_nan() -> None:
    g = from_expression("L = (log(w) - y)^2", params={"w"}, labels={"y"}, values={"w": 1.0})
    p = Problem(g, rows_to_dataset([{"y": 0.5}, {"y": 1.5}], g))
    s = loss_slice(p, {"w": 1.0}, "w", points=11, span=(-1.0, 3.0))
    assert np.isnan(s.losses[s.xs <= 0]).all()
    assert np.isfinite(s.losses[s.xs > 0]).all()


def test_surface_matches_pointwise_evaluation() -> None:
    p = regression_problem(12, "sum")
    params = p.initial_params()
    xs, ys = np.linspace(-1, 3, 7), np.linspace(-2, 1, 5)
    surf = loss_surface(p, params, "w1", "b", xs=xs, ys=ys)
    assert surf.losses.shape == (5, 7)
    for j, i in ((0, 0), (2, 3), (4, 6)):
        expected = p.evaluate({**params, "w1": float(xs[i]), "b": float(ys[j])}).loss
        assert surf.losses[j, i] == pytest.approx(expected, rel=1e-12)
    with pytest.raises(CgtuiError, match="two different params"):
        loss_surface(p, params, "b", "b", xs=xs, ys=ys)


def test_surface_in_chunks_equals_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    p = regression_problem(30)
    params = p.initial_params()
    xs, ys = np.linspace(0, 2, 9), np.linspace(-2, 0, 8)
    whole = loss_surface(p, params, "w1", "w2", xs=xs, ys=ys).losses
    monkeypatch.setattr("cgtui.learn.train.GRID_CHUNK", 100)  # 3 points a chunk
    chunked = loss_surface(p, params, "w1", "w2", xs=xs, ys=ys).losses
    np.testing.assert_allclose(chunked, whole, rtol=1e-13)


def test_span_around_holds_every_value() -> None:
    lo, hi = span_around([0.5, 4.0, -1.0])
    assert lo < -1.0 and hi > 4.0
    lo, hi = span_around([3.0])
    assert lo < 3.0 < hi and hi - lo >= 1.0


def test_dataset_kinds_stay_inputs_and_labels() -> None:
    g = regression()
    ds = Dataset({"x1": np.ones(3), "x2": np.zeros(3), "y": np.ones(3)}, 3)
    p = Problem(g, ds)
    assert [g.node(n).kind for n in ds.columns] == [Kind.INPUT, Kind.INPUT, Kind.LABEL]
    assert p.batched

"""The tensor samples and the commands on tensor graphs: the spiral network trains to the
accuracy its file states, the XOR twin has the scalar network's loss curve, ``grad
--json`` gives nested lists, and the explorer opens a tensor graph and runs F and B."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from conftest import SAMPLES
from test_app import settle, sync

from cgtui.app.app import ExplorerApp
from cgtui.cli import main
from cgtui.core.errors import CgtuiError
from cgtui.engine.engine import Stepper, descent_step, grad_check, gradients, leaf_values
from cgtui.lang import yamlio
from cgtui.learn.dataset import dataset_from_graph, training_settings
from cgtui.learn.train import Problem, Trainer

ROOT = Path(__file__).resolve().parent.parent


def spiral_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("spiral_data", ROOT / "scripts" / "spiral_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_spiral_files_are_the_formula_s_output() -> None:
    script = spiral_script()
    x, y = script.spiral()
    x_text, y_text = script.texts(x, y)
    assert (SAMPLES / "spiral_X.csv").read_text() == x_text
    assert (SAMPLES / "spiral_y.csv").read_text() == y_text
    assert x.shape == (300, 2) and sorted(set(y.tolist())) == [0.0, 1.0, 2.0]


def test_cgtui_train_reaches_the_spiral_s_stated_accuracy(capsys: pytest.CaptureFixture[str]) -> None:
    path = SAMPLES / "spiral_mlp.yaml"
    expected = training_settings(yamlio.load(path)).expect_accuracy
    assert expected is not None and expected >= 0.95
    assert main(["train", str(path), "--every", "500"]) == 0
    text = capsys.readouterr().out
    assert re.search(r"step +0  loss 1\.09\d+  accuracy 0\.\d{3}", text)
    final = re.search(r"final accuracy (\d\.\d+) is at least the file's 0\.95", text)
    assert final is not None and float(final.group(1)) >= expected
    # the params table writes an array by its shape and mean, as every view does
    assert re.search(r"^W1 +\(2,100\) mean \S+ +\(2,100\) mean \S+ +\(2,100\) mean \S+$", text, re.M)


def test_the_tensor_xor_twin_has_the_scalar_loss_curve() -> None:
    scalar = yamlio.load(SAMPLES / "xor_mlp.yaml")
    tensor = yamlio.load(SAMPLES / "xor_mlp_tensor.yaml")
    settings = training_settings(scalar)
    assert settings == training_settings(tensor) and settings.lr is not None and settings.steps is not None
    one = Trainer(Problem(scalar, dataset_from_graph(scalar, SAMPLES)), settings.lr)
    other = Trainer(Problem(tensor), settings.lr)
    one.run(settings.steps)
    other.run(settings.steps)
    assert len(one.losses) == len(other.losses) == settings.steps + 1
    np.testing.assert_allclose(other.losses, one.losses, rtol=0, atol=1e-12)
    assert other.losses[-1] < 0.001
    # the trained weights are the scalar params, column by column
    w1 = other.params["W1"]
    for name, (r, c) in {"w11": (0, 0), "w12": (1, 0), "w21": (0, 1), "w22": (1, 1)}.items():
        assert w1[r, c] == pytest.approx(one.params[name], abs=1e-10)


def test_grad_json_gives_array_grads_as_nested_lists(capsys: pytest.CaptureFixture[str]) -> None:
    path = SAMPLES / "xor_mlp_tensor.yaml"
    assert main(["grad", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["output"] == "L" and isinstance(data["value"], float)
    graph = yamlio.load(path)
    r = gradients(graph)
    assert data["grad"]["W1"] == np.asarray(r.partials[graph.lookup("W1")]).tolist()
    assert np.shape(data["grad"]["W1"]) == (2, 2) and np.shape(data["grad"]["b1"]) == (2,)
    assert isinstance(data["grad"]["c"], float)
    assert main(["grad", str(path), "--json", "--all"]) == 0
    nodes = {n["name"]: n for n in json.loads(capsys.readouterr().out)["nodes"]}
    assert np.shape(nodes["H"]["value"]) == (4, 2) and np.shape(nodes["H"]["partial"]) == (4, 2)


def test_grad_text_shows_arrays_with_their_shapes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grad", str(SAMPLES / "xor_mlp_tensor.yaml")]) == 0
    text = capsys.readouterr().out
    assert re.search(r"dL/dW1 = +\(2, 2\) \[\[", text) and re.search(r"dL/dc += +-?\d", text)


def test_descent_and_gradient_check_work_on_arrays() -> None:
    graph = yamlio.load(SAMPLES / "xor_mlp_tensor.yaml")
    out = graph.outputs[0]
    values = leaf_values(graph)
    changes, before, after = descent_step(graph, values, out, 0.3)
    assert after < before
    w1 = dict((name, (old, new)) for name, old, new in changes)["W1"]
    grad = np.asarray(gradients(graph).partials[graph.lookup("W1")])
    np.testing.assert_array_equal(w1[1], w1[0] - 0.3 * grad)
    for name in ("W1", "b1", "U", "c", "H"):
        analytic, numeric, rel, _ = grad_check(graph, name, values, out)
        assert rel < 1e-6, (name, analytic, numeric)


def test_the_stepper_agrees_with_the_full_passes_on_a_tensor_graph() -> None:
    graph = yamlio.load(SAMPLES / "spiral_mlp.yaml")
    stepper = Stepper(graph)
    stepper.run_backward()
    r = gradients(graph)
    for name in ("W1", "b1", "W2", "b2", "H", "S"):
        i = graph.lookup(name)
        np.testing.assert_array_equal(stepper.partials[i], r.partials[i])
    pushes = [line for line in stepper.ledger[graph.lookup("b1")]]
    rule = "summed over the axes its operand was broadcast along: (300, 100) -> (1, 100)"
    assert rule in pushes[0].text(graph)


@sync
async def test_the_explorer_opens_the_spiral_network_and_runs_f_and_b() -> None:
    graph = yamlio.load(SAMPLES / "spiral_mlp.yaml")
    app = ExplorerApp(Stepper(graph), source=str(SAMPLES / "spiral_mlp.yaml"), plugins=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("F")
        await settle(pilot)
        assert app.stepper.forward_complete
        await pilot.press("B")
        await settle(pilot)
        assert app.stepper.backward_complete
        w1 = app.stepper.partials[graph.lookup("W1")]
        np.testing.assert_array_equal(w1, gradients(graph).partials[graph.lookup("W1")])
        for _ in range(4):  # walk the table over array nodes: the side pane shows each
            await pilot.press("down")
            await settle(pilot)
        for key in ("m", "n"):  # scalar-only views say so; the gradient check runs
            await pilot.press(key)
            await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
        assert app.is_running


def test_cgtui_check_nudges_array_leaves_entry_by_entry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(SAMPLES / "xor_mlp_tensor.yaml"), "--json"]) == 0
    rows = {row["name"].split("[")[0]: row for row in json.loads(capsys.readouterr().out)["leaves"]}
    assert set(rows) == {"X", "Y", "W1", "b1", "U", "c"}
    assert all(row["agrees"] for row in rows.values())
    assert rows["W1"]["relative_error"] < 1e-6 and rows["c"]["name"] == "c"


def test_an_array_leaf_is_not_replaced_by_one_number() -> None:
    stepper = Stepper(yamlio.load(SAMPLES / "xor_mlp_tensor.yaml"))
    with pytest.raises(CgtuiError, match=r"'W1' holds an array \(2, 2\)"):
        stepper.set_value("W1", 1.0)


def test_check_on_the_spiral_skips_labels_and_names_its_kink(capsys: pytest.CaptureFixture[str]) -> None:
    """The spiral starts each arm at (0, 0), where relu's input is exactly 0 with b1 = 0:
    the one b1 entry checked there is a kink, inconclusive, and the class indices y are
    not nudged at all. No row disagrees."""
    assert main(["check", str(SAMPLES / "spiral_mlp.yaml")]) == 0
    out = capsys.readouterr().out
    assert "MISMATCH" not in out and "fault" not in out
    assert "y: the labels of cross_entropy are not nudged (class indices have no derivative" in out
    assert "b1[0, 84]: the nudge moves v2[0, 84] (the input of H = relu(v2)) across 0" in out
    assert "5 of 6 leaves agree; at a kink: b1[0, 84]" in out


PROBABILITY_LABELS = """
inputs: {{Z: {{shape: [2, 3], value: [[1, 2, 0.5], [0, -1, 3]]}}}}
labels: {{Y: {{shape: [2, 3], value: {labels}}}}}
expression: L = cross_entropy(Z, Y)
"""


def test_cross_entropy_takes_rows_of_probabilities_and_refuses_other_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its VJP G * (softmax(a) - Y) / n holds where each row of Y sums to 1: such rows agree
    with central differences, and a row that sums to 0.7 is refused by name."""
    good = tmp_path / "good.yaml"
    good.write_text(PROBABILITY_LABELS.format(labels="[[0.2, 0.3, 0.5], [0, 0, 1]]"), encoding="utf-8")
    assert main(["check", str(good)]) == 0
    out = capsys.readouterr().out
    assert "all 2 leaves agree" in out and "Y: the labels of cross_entropy are not nudged" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text(PROBABILITY_LABELS.format(labels="[[0.2, 0.3, 0.5], [0, 0.7, 0]]"), encoding="utf-8")
    assert main(["grad", str(bad)]) != 0
    err = capsys.readouterr().err
    assert "label row 1 sums to 0.7: rows of probabilities sum to 1" in err and "Traceback" not in err

"""Forward mode on tensor graphs: each tensor op's Jacobian-vector product (the op table's
entry beside its VJP) against central differences and PyTorch's ``torch.func.jvp``
(float64), its formula text against its rule, the identity ``<J v, w> = <v, Jᵀ w>``
against the engine's VJPs on random tensor programs, the stepper with undo, the whole
Jacobian counted in entries, and ``cgtui jvp`` / ``cgtui jacobian`` on tensor graphs."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from conftest import SAMPLES, examples
from hypothesis import given, settings
from tensor_cases import load
from test_tensor_oracle import Program, programs

from cgtui.cli import main
from cgtui.core import arrays
from cgtui.core.errors import CgtuiError, NumericalFault
from cgtui.core.notation import DOT, substitute_tangents
from cgtui.core.ops import OPS, SLOT_NAMES
from cgtui.engine.engine import backward, forward, gradients, leaf_values
from cgtui.engine.forward import TangentStepper, direction_vector, jvp
from cgtui.engine.jacobian import jacobian, pass_counts
from cgtui.lang import yamlio

torch = pytest.importorskip("torch")

XOR = SAMPLES / "xor_mlp_tensor.yaml"
RNG = np.random.default_rng(7)


def nfc(text: str) -> str:
    """Text with its dotted tangents (``Ẋ``: X and a combining dot) composed, to compare."""
    return unicodedata.normalize("NFC", text)


# --- each op's JVP ------------------------------------------------------------------------


@dataclass
class Case:
    """One tensor op at operands ``args``; ``slot`` is the operand the tangent moves."""

    op: str
    args: list[Any]
    slot: int
    torch_fn: Callable[..., Any]  # of the moved operand alone, the others fixed

    @property
    def label(self) -> str:
        return f"{self.op}[{SLOT_NAMES[self.slot]}]"


def _rows(n: int, c: int) -> np.ndarray:
    """Rows of probabilities (each sums to 1): labels as cross_entropy takes them."""
    y = RNG.uniform(0.1, 1.0, (n, c))
    return np.asarray(y / y.sum(axis=1, keepdims=True))


def _t(x: Any) -> Any:
    return torch.tensor(np.asarray(x, dtype=float), dtype=torch.float64)


def _cases() -> list[Case]:
    a, b = RNG.normal(size=(3, 4)), RNG.normal(size=(4, 2))
    idx = np.array([0.0, 3.0, 1.0])
    y = _rows(3, 4)
    F = torch.nn.functional
    return [
        Case("matmul", [a, b], 0, lambda x: x @ _t(b)),
        Case("matmul", [a, b], 1, lambda x: _t(a) @ x),
        Case("transpose", [a], 0, lambda x: x.T),
        Case("sum", [a], 0, torch.sum),
        Case("mean", [a], 0, torch.mean),
        Case("sum_axis", [a, 0.0], 0, lambda x: x.sum(dim=0, keepdim=True)),
        Case("sum_axis", [a, -1.0], 0, lambda x: x.sum(dim=-1, keepdim=True)),
        Case("mean_axis", [a, 1.0], 0, lambda x: x.mean(dim=1, keepdim=True)),
        Case("reshape", [a, 2.0, 6.0], 0, lambda x: x.reshape(2, 6)),
        Case("softmax", [a], 0, lambda x: torch.softmax(x, dim=-1)),
        Case("log_softmax", [a], 0, lambda x: torch.log_softmax(x, dim=-1)),
        Case("cross_entropy", [a, idx], 0, lambda x: F.cross_entropy(x, _t(idx).long())),
        Case("cross_entropy", [a, y], 0, lambda x: F.cross_entropy(x, _t(y))),
        Case("cross_entropy", [a, y], 1, lambda x: F.cross_entropy(_t(a), x)),
        # the backward graph's broadcasting rule as an op: G (3, 4) summed to a row (1, 4)
        Case("fit", [a, np.zeros((1, 4))], 0, lambda x: x.sum(dim=0, keepdim=True)),
    ]


CASES = _cases()


def _jvp(case: Case, t: np.ndarray) -> Any:
    op = OPS[case.op]
    out = op.forward(*case.args)
    return arrays.out(op.jvps[case.slot].rule(t, *case.args, out))


def _tangent(case: Case) -> np.ndarray:
    return np.asarray(RNG.normal(size=np.shape(case.args[case.slot])))


def test_every_tensor_op_has_a_jvp_per_operand_beside_its_vjps() -> None:
    for name, op in OPS.items():
        assert len(op.jvps) == (op.arity if op.tensor else 0), name
        for tangent in op.jvps:
            assert tangent.formula and callable(tangent.rule)
    assert {c.op for c in CASES} == {name for name, op in OPS.items() if op.tensor}


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_each_tensor_op_s_jvp_agrees_with_central_differences(case: Case) -> None:
    t = _tangent(case)
    h = 1e-6
    op = OPS[case.op]
    plus, minus = list(case.args), list(case.args)
    plus[case.slot] = case.args[case.slot] + h * t
    minus[case.slot] = case.args[case.slot] - h * t
    expected = (np.asarray(op.forward(*plus)) - np.asarray(op.forward(*minus))) / (2 * h)
    ours = _jvp(case, t)
    assert np.shape(ours) == np.shape(op.forward(*case.args))
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_each_tensor_op_s_jvp_agrees_with_pytorch(case: Case) -> None:
    t = _tangent(case)
    _, theirs = torch.func.jvp(case.torch_fn, (_t(case.args[case.slot]),), (_t(t),))
    np.testing.assert_allclose(_jvp(case, t), theirs.numpy(), rtol=1e-12, atol=1e-14)


def test_class_index_labels_have_tangent_zero() -> None:
    a, idx = RNG.normal(size=(3, 4)), np.array([0.0, 1.0, 2.0])
    rule = OPS["cross_entropy"].jvps[1].rule
    assert rule(np.ones(3), a, idx, arrays.cross_entropy(a, idx)) == 0.0


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_each_jvp_formula_computes_what_its_rule_does(case: Case) -> None:
    """The formula the learner reads, with the dotted tangent as a leaf ``T``, run by
    cgtui's own parser and engine, gives the rule's numbers."""
    op = OPS[case.op]
    formula = op.jvps[case.slot].formula
    out = op.forward(*case.args)
    t = _tangent(case)
    names: dict[str, str] = {"out": "OUT"}
    leaves: dict[str, object] = {"OUT": out, "T": t}
    for k, v in enumerate(case.args):
        slot = SLOT_NAMES[k]
        if np.ndim(v) == 0:
            names[slot] = str(int(v))  # axes and shapes are written as numbers
        else:
            names[slot] = slot.upper()
            leaves[slot.upper()] = v
    if "Y" in formula:
        leaves["Y"] = arrays.onehot(case.args[0], case.args[1])
    if case.op == "cross_entropy":
        formula = formula.replace("/ n", f"/ {np.shape(case.args[0])[0]}")
    text = substitute_tangents(formula, names, {SLOT_NAMES[case.slot]: "T"})
    assert DOT not in text, text
    g = load(f"Z = {text}", leaves)
    values = forward(g, leaf_values(g))
    np.testing.assert_allclose(values[g.lookup("Z")], _jvp(case, t), rtol=1e-13, atol=1e-15)


# --- the engine: <J v, w> = <v, Jᵀ w> on random programs ---------------------------------------


def _direction(p: Program, seed: int) -> dict[str, Any]:
    """A random tangent for every leaf but ``R`` (the weights of the last line's sum)."""
    rng = np.random.default_rng(seed)
    return {
        name: (float(rng.normal()) if np.ndim(v) == 0 else rng.normal(size=np.shape(v)))
        for name, v in p.leaves.items()
        if name != "R"
    }


@settings(max_examples=examples(60), deadline=None)
@given(programs())
def test_jvp_and_vjp_are_adjoint_on_random_tensor_programs(p: Program) -> None:
    """The last line is ``sum(t * R)`` (or a cross-entropy): ``J v`` is the tangent of
    the array ``t`` before it, and ``Jᵀ w`` with ``w = R`` is the gradient reverse mode
    gives the leaves, R held still. A cross-entropy ends at one number: w = 1."""
    params = {name: float(v) if v.ndim == 0 else v for name, v in p.leaves.items()}
    g = load("\n".join(p.lines), params, labels=p.labels or None)
    program = "\n".join(p.lines)
    v = _direction(p, len(p.lines))
    result = jvp(g, v)
    grads = gradients(g)
    loss = g.outputs[0]
    vjp_side = 0.0
    for name, t in v.items():
        grad = grads.partials[g.lookup(name)]
        vjp_side += 0.0 if grad is None else float(np.sum(np.asarray(t) * np.asarray(grad)))
    if "R" in p.leaves:
        before = g.lookup(p.steps[-1][2][0])  # t in sum(t * R)
        w = np.asarray(p.leaves["R"])
        jvp_side = float(np.sum(np.asarray(result.tangent(before)) * w))
    else:
        jvp_side = float(result.tangent(loss))
    # and the output's own tangent is the same number: the loss is <t, R>
    assert np.isclose(float(result.tangent(loss)), jvp_side, rtol=1e-10, atol=1e-12), program
    scale = max(abs(vjp_side), abs(jvp_side), 1.0)
    assert abs(jvp_side - vjp_side) <= 1e-10 * scale, f"{jvp_side} != {vjp_side} for\n{program}"


# --- the direction, the pass and the stepper --------------------------------------------------


def test_one_entry_s_tangent_is_that_entry_s_partial() -> None:
    g = yamlio.load(XOR)
    grads = gradients(g)
    w1 = np.asarray(grads.partials[g.lookup("W1")])
    for k in np.ndindex(w1.shape):
        key = f"W1[{k[0]},{k[1]}]"
        assert jvp(g, {key: 1.0}).tangent(g.outputs[0]) == pytest.approx(w1[k], rel=1e-12)
    # a whole-array direction: every entry of b1 moved at once
    both = jvp(g, {"b1": 1.0}).tangent(g.outputs[0])
    assert both == pytest.approx(float(np.sum(np.asarray(grads.partials[g.lookup("b1")]))), rel=1e-12)


def test_a_direction_names_its_problem() -> None:
    g = yamlio.load(XOR)
    for key, message in (
        ("W1[2,0]", r"W1\[2,0\] is not an entry of W1, shape \(2, 2\)"),
        ("W1[0]", r"not an entry of W1"),
        ("c[0]", "'c' is one number, not an array"),
        ("H[0,0]", "computed by the graph"),
        ("Q", "no node named 'Q'"),
    ):
        with pytest.raises(CgtuiError, match=message):
            direction_vector(g, {key: 1.0})
    with pytest.raises(CgtuiError, match=r"has shape \(3,\); b1 has shape \(2,\)"):
        direction_vector(g, {"b1": np.ones(3)})


def test_the_stepper_walks_a_layer_with_its_jvps_and_undoes_every_step() -> None:
    g = yamlio.load(XOR)
    st = TangentStepper(g, {"W1[0,1]": 1.0})
    assert st.label == "W1[0,1]"
    whole = jvp(g, {"W1[0,1]": 1.0})
    lines = st.run().lines
    assert st.complete
    text = nfc("\n".join(lines))
    assert nfc("dv1/dW1[0,1] = Ẋ @ W1 + X @ Ẇ1") in text and nfc("Ẇ1 = dW1/dW1[0,1]") in text
    assert "dH/dW1[0,1] = (1 - H^2) · dv2/dW1[0,1]" in text
    assert nfc("dL/dW1[0,1] = mean(v̇5)") in text
    for i, t in enumerate(whole.tangents):
        if g.nodes[i].op is not None and t is not None:
            np.testing.assert_array_equal(st.tangents[i], t)
    assert nfc(st.rule_text(g.lookup("v1"))) == nfc("dv1/dW1[0,1] = Ẋ @ W1 + X @ Ẇ1")
    # undo, one node at a time, back to the start
    while st.history:
        node = st.history[-1].node
        assert st.undo().kind == "undo"
        assert st.values[node] is None and st.tangents[node] is None
    assert st.position == 0 and st.undo().kind == "none"
    assert np.shape(np.asarray(st.tangents[g.lookup("W1")])) == (2, 2)  # the seed stays
    st.step()
    assert np.shape(np.asarray(st.tangents[g.lookup("v1")])) == (4, 2)


def test_a_fault_in_a_tensor_pass_stops_the_stepper_and_undo_clears_it() -> None:
    g = load("Z = log(A - 1)\nL = sum(Z)", {"A": np.array([[2.0, 0.5]])})
    st = TangentStepper(g, {"A[0,0]": 1.0})
    assert st.step().kind == "forward"  # A - 1
    r = st.step()
    assert r.kind == "fault" and "log of -0.5 is undefined" in r.lines[0]
    assert st.step().kind == "fault"
    assert st.undo().lines == ["cleared the fault"]
    with pytest.raises(NumericalFault):
        jvp(g, {"A": 1.0})


def test_broadcast_operands_spread_their_tangents() -> None:
    """``X @ W + b``: the bias's tangent (one row) is spread over every row."""
    g = load("Z = X @ W + b\nL = sum(Z * Z)", {"X": RNG.normal(size=(4, 3)), "W": RNG.normal(size=(3, 2)),
                                              "b": np.array([0.5, -1.0])})
    r = jvp(g, {"b[1]": 1.0})
    z = np.asarray(r.tangent(g.lookup("Z")))
    np.testing.assert_array_equal(z, np.tile([0.0, 1.0], (4, 1)))
    db = np.asarray(gradients(g).partials[g.lookup("b")])
    assert r.tangent(g.outputs[0]) == pytest.approx(float(db[1]))


# --- the whole Jacobian --------------------------------------------------------------------------


def test_pass_counts_count_entries_on_a_tensor_graph() -> None:
    g = yamlio.load(XOR)
    counts = pass_counts(g)
    # X (4,2) 8, Y (4,1) 4, W1 4, b1 2, U 2, c 1: 21 input entries; L: one output entry
    assert (counts.leaves, counts.outputs, counts.forward_passes, counts.reverse_passes) == (21, 1, 21, 1)
    assert counts.entries and counts.cheaper == "reverse"
    h = pass_counts(g, [g.lookup("H")])
    assert h.outputs == 8 and h.reverse_passes == 8
    assert pass_counts(yamlio.load(SAMPLES / "forward_wins.yaml")).entries is False


def test_forward_and_reverse_jacobians_agree_entry_by_entry() -> None:
    g = yamlio.load(XOR)
    outs = [g.lookup("P"), g.lookup("L")]
    fwd = jacobian(g, outputs=outs, mode="forward")
    rev = jacobian(g, outputs=outs, mode="reverse")
    assert fwd.output_names == ["P[0,0]", "P[1,0]", "P[2,0]", "P[3,0]", "L"]
    assert fwd.leaf_names[:2] == ["X[0,0]", "X[0,1]"] and fwd.leaf_names[-1] == "c"
    assert "W1[0,1]" in fwd.leaf_names
    assert (fwd.passes, rev.passes) == (21, 5)
    np.testing.assert_allclose(fwd.matrix, rev.matrix, rtol=1e-12, atol=1e-15)
    w = np.asarray(backward(g, fwd.values, g.lookup("L"))[g.lookup("W1")])
    assert rev.matrix[-1][rev.leaf_names.index("W1[1,0]")] == w[1, 0]


def test_a_jacobian_too_big_to_print_is_refused_by_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    import cgtui.engine.jacobian as module

    monkeypatch.setattr(module, "MAX_ENTRIES", 100)
    g = yamlio.load(XOR)
    with pytest.raises(CgtuiError, match=r"8 × 21 entries .*--output"):
        jacobian(g, outputs=[g.lookup("H")])


# --- the commands --------------------------------------------------------------------------------


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_cgtui_jvp_on_a_tensor_graph(capsys: pytest.CaptureFixture[str]) -> None:
    g = yamlio.load(XOR)
    w1 = np.asarray(gradients(g).partials[g.lookup("W1")])
    doc = _json(capsys, "jvp", str(XOR), "--wrt", "W1[0,1]", "--json")
    assert doc["output"] == "L" and doc["jvp"] == pytest.approx(w1[0, 1], rel=1e-12)
    assert doc["tangent"]["W1"] == [[0.0, 1.0], [0.0, 0.0]] and doc["tangent"]["c"] == 0.0
    doc = _json(capsys, "jvp", str(XOR), "--tangent", "W1[1,0]=2,c=1", "--output", "P", "--json")
    assert np.shape(doc["jvp"]) == (4, 1) and np.shape(doc["value"]) == (4, 1)
    whole = _json(capsys, "jvp", str(XOR), "--tangent", "W1=1", "--json")
    assert whole["jvp"] == pytest.approx(float(w1.sum()), rel=1e-12)
    assert main(["jvp", str(XOR), "--wrt", "W1[0,1]", "--steps"]) == 0
    out = nfc(capsys.readouterr().out)
    assert nfc("dv1/dW1[0,1] = Ẋ @ W1 + X @ Ẇ1") in out
    assert "direction: W1[0,1] = 1 (every other leaf and entry: 0)" in out
    assert f"dL/dW1[0,1] = {float(w1[0, 1]):.12g}"[:22] in out


def test_cgtui_jvp_json_on_a_tensor_graph_follows_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((SAMPLES.parent / "schemas" / "jvp.schema.json").read_text(encoding="utf-8"))
    for argv in (["--wrt", "W1[0,1]"], ["--wrt", "b1[1]", "--output", "H"]):
        doc = _json(capsys, "jvp", str(XOR), *argv, "--json")
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
        assert not errors, [e.message for e in errors[:3]]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--wrt", "W1[5,0]"], "W1[5,0] is not an entry of W1, shape (2, 2)"),
        (["--wrt", "W1[0"], "is neither a leaf's name nor one of its entries"),
        (["--tangent", "W1[0,1]=x"], "the tangent of 'W1[0,1]' must be a number"),
        (["--tangent", "W1[0,1]=1", "--wrt", "W1[0,1]"], "given by --wrt and by --tangent"),
        ([], "no direction given"),
    ],
)
def test_cgtui_jvp_names_a_bad_direction(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["jvp", str(XOR), *argv]) == 2
    assert message in capsys.readouterr().err


def test_cgtui_jacobian_on_a_tensor_graph_counts_entries(capsys: pytest.CaptureFixture[str]) -> None:
    docs = {
        mode: _json(capsys, "jacobian", str(XOR), "--mode", mode, "--json") for mode in ("forward", "reverse")
    }
    f, r = docs["forward"], docs["reverse"]
    assert f["outputs"] == ["L"] and len(f["leaves"]) == 21 and "W1[0,1]" in f["leaves"]
    assert (f["passes"], r["passes"]) == (21, 1) and f["cost"]["cheaper"] == "reverse"
    np.testing.assert_allclose(f["jacobian"], r["jacobian"], rtol=1e-12, atol=1e-15)
    assert main(["jacobian", str(XOR)]) == 0
    out = capsys.readouterr().out
    assert "forward mode: 21 passes (one per input entry, n = 21)" in out
    assert "reverse mode: 1 pass (one per output entry, m = 1)" in out


def test_a_dotted_tangent_has_an_ascii_form() -> None:
    from cgtui.core.notation import ascii_fallback, dotted

    assert ascii_fallback(f"{dotted('X')} @ W1 + X @ {dotted('W1')}") == "X' @ W1 + X @ W'1"


def test_forward_over_reverse_on_the_backward_graph_gives_hessian_entries() -> None:
    """Forward mode on the backward graph of the XOR layer network (an array graph with
    fit nodes): the tangent of dL/dW1 along W1[0,1] is a column of the Hessian."""
    from cgtui.engine.backward_graph import backward_graph, hessian

    g = yamlio.load(XOR)
    bg = backward_graph(g)
    h = hessian(g)
    col = h.leaves.index("W1[0,1]")
    result = jvp(bg.graph, {"W1[0,1]": 1.0})
    for name in ("W1", "b1", "c"):
        tangent = np.asarray(result.tangent(bg.graph.lookup(f"dL_d{name}")))
        rows = [k for k, leaf in enumerate(h.leaves) if leaf.split("[")[0] == name]
        np.testing.assert_allclose(tangent.ravel(), [h.matrix[k][col] for k in rows], rtol=1e-10, atol=1e-12)


def test_a_tangent_step_with_arrays_writes_products_not_the_means_of_factors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``(1 - H^2) · dv2/dW1[0,1] = (4,2) mean 0.6003 · (4,2) mean 0.25 = (4,2) mean 0.116`` read
    as arithmetic that is false (0.6003 · 0.25 is 0.15): with arrays each term's product is
    written, and numbers alone keep their factors."""
    assert main(["jvp", str(SAMPLES / "xor_mlp_tensor.yaml"), "--wrt", "W1[0,1]", "--steps"]) == 0
    out = capsys.readouterr().out
    assert "dH/dW1[0,1] = (1 - H^2) · dv2/dW1[0,1] = (4,2) mean 0.1859\n" in out
    assert not re.search(r"mean \S+\)? · \(?\(\d", out)
    assert main(["jvp", "x * y", "--at", "x=3,y=2", "--wrt", "x", "--steps"]) == 0
    assert "= y · dx/dx + x · dy/dx = 2 · 1 + 3 · 0 = 2" in capsys.readouterr().out

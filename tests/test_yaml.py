# ruff: noqa: E501  (the table of error messages reads best one case per line)
"""The YAML graph format: reading, every refusal with its line, and the round trip."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SAMPLES, examples, structure
from hypothesis import given, settings
from hypothesis import strategies as st

from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind, Node
from cgtui.lang import files, yamlio
from cgtui.lang.build import from_expression, is_literal

SQUARED = """\
title: Squared-error loss
inputs: {x: 2.0}
labels: {y: 1.0}
params: {w: 0.5, b: 0.1}
steps:
  z: w * x
  yhat: z + b
  d: yhat - y
  L: d ^ 2
output: L
"""


def test_sketch_from_the_issue() -> None:
    g = yamlio.loads(SQUARED)
    assert g.title == "Squared-error loss"
    assert structure(g) == {
        "x": ("input", None, ()),
        "y": ("label", None, ()),
        "w": ("param", None, ()),
        "b": ("param", None, ()),
        "z": ("computation", "mul", ("w", "x")),
        "yhat": ("computation", "add", ("z", "b")),
        "d": ("computation", "sub", ("yhat", "y")),
        "2": ("const", None, ()),
        "L": ("computation", "pow", ("d", "2")),
    }
    assert {n.name: n.value for n in g.nodes if n.op is None} == {
        "x": 2.0, "y": 1.0, "w": 0.5, "b": 0.1, "2": 2.0,
    }
    assert g.output_names == ["L"]
    assert g == from_expression(
        "z = w*x\nyhat = z + b\nd = yhat - y\nL = d^2",
        params={"w", "b"}, labels={"y"}, values={"x": 2, "y": 1, "w": 0.5, "b": 0.1},
    )


def test_steps_in_any_order_and_op_form() -> None:
    text = """\
inputs: {x: 2, y: 1}
params: [w, b]
steps:
  L: {op: pow, args: [d, 2]}
  d: yhat - y
  yhat: {op: '+', args: [z, b]}
  z: {op: mul, args: [w, x]}
output: L
"""
    g = yamlio.loads(text)
    assert structure(g)["yhat"] == ("computation", "add", ("z", "b"))
    assert structure(g)["L"] == ("computation", "pow", ("d", "2"))
    assert g.node("w").value is None and g.node("w").kind is Kind.PARAM
    assert [n.name for n in g.nodes if n.op] == ["z", "yhat", "d", "L"]


def test_nested_steps_are_decomposed_without_name_clashes() -> None:
    text = """\
inputs: {x1: 2, x2: 0.5, v1: 7}
steps:
  v2: v1 * 2
  L: (x1*x2 + exp(x1) - v2)^2
output: L
"""
    g = yamlio.loads(text)
    s = structure(g)
    assert s["v2"] == ("computation", "mul", ("v1", "2"))
    assert s["v3"] == ("computation", "mul", ("x1", "x2"))
    assert s["v4"] == ("computation", "exp", ("x1",))
    assert s["v5"] == ("computation", "add", ("v3", "v4"))
    assert s["v6"] == ("computation", "sub", ("v5", "v2"))
    assert s["L"] == ("computation", "pow", ("v6", "2"))


def test_merging_joins_intermediates_but_never_named_steps() -> None:
    text = """\
inputs: {x: 1, y: 2}
steps:
  a: x * y
  b: x * y
  c: (x * y) + exp(x + y) * (x + y)
output: c
"""
    g = yamlio.loads(text)
    s = structure(g)
    assert s["a"] == s["b"] == ("computation", "mul", ("x", "y"))
    assert s["c"][2][0] == "a"  # the intermediate x*y is the step a
    assert sum(1 for n in g.nodes if n.op == "add" and n.name != "c") == 1
    tree = yamlio.loads(text, merge=False)
    assert sum(1 for n in tree.nodes if n.op == "mul") == 4  # a, b, x*y in c, exp(...)*(...)
    assert sum(1 for n in tree.nodes if n.op == "add") == 3


def test_op_form_is_never_folded() -> None:
    g = yamlio.loads("inputs: {x: 1}\nsteps:\n  z: {op: neg, args: [-3]}\n  w: -(-3) * x\noutput: [z, w]\n")
    assert structure(g)["z"] == ("computation", "neg", ("-3",))
    assert structure(g)["w"] == ("computation", "mul", ("3", "x"))
    assert yamlio.loads(yamlio.dumps(g)) == g


def test_named_constant_steps_and_sections() -> None:
    g = yamlio.loads("inputs: {x: 1}\nconstants: {c: 3}\nsteps:\n  k: -2\n  z: c * x + k\noutput: z\n")
    assert (g.node("c").kind, g.node("c").value) == (Kind.CONST, 3.0)
    assert (g.node("k").kind, g.node("k").value) == (Kind.CONST, -2.0)


def test_numbers_yaml_reads_as_strings_are_numbers() -> None:
    g = yamlio.loads("inputs: {x: 1e-3, y: -2, z: .5, t: '4'}\nsteps:\n  s: x + y + z + t\noutput: s\n")
    assert [g.node(n).value for n in "xyzt"] == [0.001, -2.0, 0.5, 4.0]


def test_keys_yaml_would_read_as_booleans_are_names() -> None:
    g = yamlio.loads("inputs: {on: 1, no: 2}\nsteps:\n  yes: on * no\noutput: yes\n")
    assert g.output_names == ["yes"]
    assert yamlio.loads(yamlio.dumps(g)) == g
    assert "'on': 1.0" in yamlio.dumps(g)


def test_expression_section_allows_reassignment() -> None:
    text = """\
inputs: {a: -4, b: 2}
expression: |
  c = a + b
  c = c * c  # reassigned
output: c
"""
    g = yamlio.loads(text)
    assert structure(g)["c"] == ("computation", "mul", ("c_1", "c_1"))
    assert g.output_names == ["c"]
    # without output, the program's own output
    g2 = yamlio.loads(text.replace("output: c\n", ""))
    assert g2.output_names == ["c"]


def test_extra_sections_are_kept_and_written_back() -> None:
    text = SQUARED + "data: {file: points.csv, columns: [x, y]}\nreduction: mean\ntraining: {lr: 0.1, steps: 20}\n"
    g = yamlio.loads(text)
    assert g.extra == {
        "data": {"file": "points.csv", "columns": ["x", "y"]},
        "reduction": "mean",
        "training": {"lr": 0.1, "steps": 20},
    }
    again = yamlio.loads(yamlio.dumps(g))
    assert again.extra == g.extra
    assert again == g


def test_unused_declared_leaves_are_kept() -> None:
    g = yamlio.loads("inputs: {x: 1, unused: 2}\nsteps:\n  z: x * x\noutput: z\n")
    assert "unused" in g
    assert "unused" in yamlio.loads(yamlio.dumps(g))


def _error(text: str) -> CgtuiError:
    with pytest.raises(CgtuiError) as info:
        yamlio.loads(text, file="g.yaml")
    assert info.value.file == "g.yaml"
    return info.value


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("inputs: {x: 1}\nsteps:\n  z: x * q\noutput: z\n", "undefined name 'q' in step 'z'", 3, 10),
        ("inputs: {wx: 1}\nsteps:\n  z: w * 2\noutput: z\n", "undefined name 'w' in step 'z' (did you mean 'wx'?)", 3, 6),
        ("inputs: {x: 1}\nsteps:\n  z: {op: mul, args: [x, y]}\noutput: z\n", "undefined name 'y' in step 'z'", 3, 26),
        ("inputs: {x: 1}\nsteps:\n  z: foo(x)\noutput: z\n", "unknown function 'foo'", 3, 6),
        ("inputs: {x: 1}\nsteps:\n  z: {op: mull, args: [x, x]}\noutput: z\n",
         "unknown op 'mull' in step 'z' (did you mean 'mul'?)", 3, 11),
        ("inputs: {x: 1}\nsteps:\n  z: {op: exp, args: [x, x]}\noutput: z\n",
         "op 'exp' takes 1 argument, got 2 in step 'z'", 3, 22),
        ("inputs: {x: 1}\nsteps:\n  z: sin(x, x)\noutput: z\n", "function 'sin' takes 1 argument, got 2", 3, 6),
        ("inputs: {x: 1}\nsteps:\n  a: b + x\n  b: a * 2\noutput: a\n", "cycle: a -> b -> a", 3, 3),
        ("inputs: {x: 1}\nsteps:\n  a: a + x\noutput: a\n", "cycle: a -> a", 3, 3),
        ("inputs: {x: 1}\nsteps:\n  a: x + 1\n  a: x * 2\noutput: a\n", "duplicate key 'a' (first at line 3)", 4, 3),
        ("inputs: {x: 1}\nparams: {x: 2}\nsteps:\n  a: x + 1\noutput: a\n",
         "duplicate name 'x': already in 'inputs' (line 1)", 2, 10),
        ("inputs: {x: 1}\nsteps:\n  x: x + 1\noutput: x\n",
         "duplicate name 'x': the step repeats a name from 'inputs' (line 1)", 3, 3),
        ("inputs: {x: abc}\nsteps:\n  a: x + 1\noutput: a\n", "the value of 'x' must be a number, got 'abc'", 1, 13),
        ("inputs: {x: true}\nsteps:\n  a: x + 1\noutput: a\n", "the value of 'x' must be a number, got 'true'", 1, 13),
        ("inputs: {x: .inf}\nsteps:\n  a: x + 1\noutput: a\n",
         "the value of 'x' must be a finite number, got '.inf'", 1, 13),
        ("inputs: {x: [1, 2]}\nsteps:\n  a: x + 1\noutput: a\n", "the value of 'x' must be a number, not a list", 1, 13),
        ("constants: {c: null}\nsteps:\n  a: c + 1\noutput: a\n", "constant 'c' needs a value", 1, 16),
        ("inputs: {x: 1}\nsteps:\n  a: x + 1\noutput: b\n", "unknown output 'b'", 4, 9),
        ("inputs: {x: 1}\nsteps:\n  abc: x + 1\noutput: [abd]\n", "unknown output 'abd' (did you mean 'abc'?)", 4, 10),
        ("inputs: {x: 1}\nsteps:\n  a: x + 1\n", "no 'output:' given; add 'output: NAME' ('a' is used by no other step)", 1, 1),
        ("inputs: {x: 1}\nsteps:\n  a: x + 1\noutputs: a\n", "unknown section 'outputs' (did you mean 'output'?)", 4, 1),
        ("inputs: {x: 1}\nsteps:\n  a: x + * 1\noutput: a\n", "expected an operand after '+'", 3, 10),
        ('inputs: {x: 1}\nsteps:\n  a: "x + * 1"\noutput: a\n', "expected an operand after '+'", 3, 11),
        ("inputs: {x: 1}\nsteps:\n  a: x.real\noutput: a\n", "attribute access is not supported", 3, 7),
        ("inputs: {x: 1}\nsteps:\n  a: x + 1; x * 2\noutput: a\n",
         "step 'a' holds more than one expression (use 'expression:' for a program)", 3, 13),
        ("inputs: {x: 1}\nsteps:\n  a: x + 1\n  b: a\noutput: b\n",
         "step 'b' only repeats 'a'; a step must compute something", 4, 3),
        ("inputs: {x: 1}\nsteps:\n  a:\noutput: a\n", "step 'a' is empty", 3, 3),
        ("inputs: {x: 1}\nsteps:\n  2a: x + 1\noutput: 2a\n",
         "'2a' in 'steps' is not a valid name (letters, digits and _, not starting with a digit)", 3, 3),
        ("inputs: {exp: 1}\nsteps:\n  a: exp + 1\noutput: a\n",
         "'exp' in 'inputs' is the name of a function; choose another name", 1, 10),
        ("inputs: {lambda: 1}\nsteps:\n  a: x + 1\noutput: a\n",
         "'lambda' in 'inputs' is a reserved word; choose another name", 1, 10),
        ("inputs: [[x]]\nsteps:\n  a: x + 1\noutput: a\n", "expected a name in 'inputs'", 1, 10),
        ("inputs: {x: 1}\nsteps:\n  a: {op: neg, args: [[x]]}\noutput: a\n",
         "an argument of step 'a' must be a name or a number", 3, 23),
        ("inputs: {x: 1}\nsteps:\n  a: {op: neg, args: [2x]}\noutput: a\n",
         "'2x' in the arguments of step 'a' is not a valid name (letters, digits and _, not starting with a digit)",
         3, 23),
        ("{[a]: 1}\n", "a section name must be text (title, inputs, steps, output, ...)", 1, 2),
        ("inputs: {x: 1}\nsteps:\n  a: [x, 1]\noutput: a\n",
         "step 'a' must be an expression or {op: NAME, args: [...]}", 3, 6),
        ("inputs: {x: 1}\nsteps:\n  a: {op: add, arg: [x, 1]}\noutput: a\n",
         "unknown key 'arg' in step 'a' (a step mapping has 'op' and 'args')", 3, 16),
        ("inputs: {x: 1}\nsteps:\n  a: x\nexpression: x + 1\n", "give either 'steps' or 'expression', not both", 4, 1),
        ("inputs: {x: 1}\nexpression: |\n  c = x + 1\n  c = c * q\n", "undefined name 'q'", 4, 11),
        ("inputs: {x: 1}\nexpression: |\n  c = x +\n  c\n", "expected an operand after '+'", 3, 10),
        ("inputs: {x: 1}\noutput: x\n", "no 'steps:' (or 'expression:') section", 1, 1),
        ("- a\n- b\n", "a graph file is a mapping of sections (title, inputs, params, steps, output, ...)", 1, 1),
        ("a: &a [1]\nb: *a\n", "YAML anchors are not allowed ('&a')", 1, 4),
        ("a: !!python/object:os.system [1]\n", "YAML tag 'tag:yaml.org,2002:python/object:os.system' is not allowed", 1, 4),
        ("inputs: {x: 1}\n---\nsteps: {}\n", "a graph file holds one YAML document (found a second '---')", 2, 1),
        ("inputs: {x: 1\n", "YAML syntax error: expected ',' or '}', but got '<stream end>'", 2, 1),
        ("title: [a\n", "YAML syntax error: expected ',' or ']', but got '<stream end>'", 2, 1),
        ("title: [a]\nsteps: {a: x}\n", "'title' must be text", 1, 8),
    ],
)
def test_errors_name_file_line_and_step(text: str, message: str, line: int, column: int) -> None:
    err = _error(text)
    assert err.message == message
    assert (err.line, err.column) == (line, column)
    if err.source_line is not None:
        assert err.source_line == text.split("\n")[line - 1]
    assert "g.yaml" in str(err)


def test_parse_errors_in_a_step_name_the_step() -> None:
    err = _error("inputs: {x: 1}\nsteps:\n  zz: foo(x)\noutput: zz\n")
    assert err.context == "in step 'zz'"
    assert str(err).startswith("unknown function 'foo' (in step 'zz') at 3:7 in g.yaml")


def test_literal_block_step_positions() -> None:
    err = _error("inputs: {x: 1}\nsteps:\n  a: |\n    x +\n      * 2\noutput: a\n")
    assert err.message == "expected an operand after '+'"
    assert (err.line, err.column) == (4, 8)  # the end of 'x +', in the file
    assert err.source_line == "    x +"
    err = _error("inputs: {x: 1}\nsteps:\n  a: |\n    x * (2 +\n      q)\noutput: a\n")
    assert (err.message, err.line, err.column) == ("undefined name 'q' in step 'a'", 5, 7)


def test_bad_data_in_extra_sections() -> None:
    err = _error(SQUARED + "data:\n  ? [a, b]\n  : 1\n")
    assert (err.message, err.line, err.column) == ("in 'data': found unhashable key", 12, 5)


def test_empty_and_null_documents() -> None:
    assert "empty" in _error("").message
    assert "empty" in _error("# nothing\n").message


def test_alias_bomb_is_refused_fast() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + k)}: &{chr(98 + k)} [{', '.join([f'*{chr(97 + k)}'] * 9)}]\n" for k in range(8)
    )
    err = _error(bomb)
    assert "not allowed" in err.message


def test_deep_nesting_is_refused_without_recursion() -> None:
    err = _error("extra: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert err.message == f"YAML nested more than {yamlio.MAX_DEPTH} levels deep"
    deep_data = "data: " + "[" * 50 + "]" * 50 + "\n"
    g = yamlio.loads(SQUARED + deep_data)
    assert isinstance(g.extra["data"], list)


def test_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_SOURCE_BYTES", 100)
    with pytest.raises(CgtuiError, match="limit of 100 bytes"):
        yamlio.loads(SQUARED + "# " + "x" * 200)
    path = tmp_path / "big.yaml"
    path.write_text(SQUARED + "# " + "x" * 200)
    with pytest.raises(CgtuiError, match="the limit is 100"):
        yamlio.load(path)


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CgtuiError, match="no such file"):
        yamlio.load(tmp_path / "nope.yaml")


def test_dumps_writes_every_node_explicitly() -> None:
    g = from_expression("(w*x + b - y)^2 + exp(-3 * w)", params={"w", "b"}, labels={"y"},
                        values={"w": 0.5, "x": 2.0, "b": 0.1, "y": 1.0})
    text = yamlio.dumps(g)
    assert "  v1: w * x\n" in text
    assert "  v5: (-3) * w\n" in text
    assert "  out: v4 + v6\n" in text
    assert "output: out\n" in text
    assert yamlio.loads(text) == g


def test_save_is_atomic_and_refuses_to_overwrite(tmp_path: Path) -> None:
    g = yamlio.loads(SQUARED)
    path = tmp_path / "g.yaml"
    yamlio.save(g, path)
    assert yamlio.load(path) == g
    g.node("w").value = 0.75
    with pytest.raises(CgtuiError, match="exists; not overwriting"):
        yamlio.save(g, path)
    assert yamlio.load(path).node("w").value == 0.5
    yamlio.save(g, path, overwrite=True)
    assert yamlio.load(path).node("w").value == 0.75
    assert sorted(os.listdir(tmp_path)) == ["g.yaml"]  # no temporary files left
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.yaml")))
def test_every_sample_loads_and_round_trips(name: str) -> None:
    g = yamlio.load(SAMPLES / name)
    assert g.title
    again = yamlio.loads(yamlio.dumps(g))
    assert again == g
    assert again.title == g.title and again.description == g.description and again.extra == g.extra
    assert yamlio.dumps(again) == yamlio.dumps(g)


def test_default_sample_loads() -> None:
    from cgtui.lang.samples import default_sample

    g = yamlio.load(default_sample())
    assert g.output_names == ["L"]


@settings(max_examples=examples(300), deadline=None)
@given(st.text(max_size=40), st.text(max_size=80))
def test_title_and_description_round_trip(title: str, description: str) -> None:
    g = yamlio.loads(SQUARED)
    g.title, g.description = title, description
    again = yamlio.loads(yamlio.dumps(g))
    assert (again.title, again.description) == (title, description)


_names = st.sampled_from(["a", "b", "c", "x", "y", "w"])
_numbers = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).filter(lambda v: v != 0) | st.sampled_from(
    [0.0, 1.0, 2.0, -1.0, 0.1, 1e-7, 123456.789]
)


@st.composite
def _expressions(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 4 or draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            return draw(_names)
        v = draw(_numbers)
        return f"({v!r})"
    kind = draw(st.sampled_from(["+", "-", "*", "/", "^", "neg", "exp", "tanh", "relu"]))
    if kind == "neg":
        return f"-({draw(_expressions(depth + 1))})"
    if kind in ("exp", "tanh", "relu"):
        return f"{kind}({draw(_expressions(depth + 1))})"
    return f"({draw(_expressions(depth + 1))}) {kind} ({draw(_expressions(depth + 1))})"


@settings(max_examples=examples(150), deadline=None)
@given(
    _expressions(),
    st.dictionaries(_names, st.sampled_from(list(Kind)[:4])),
    st.dictionaries(_names, _numbers),
    st.booleans(),
)
def test_yaml_round_trip(text: str, kinds: dict[str, Kind], values: dict[str, float], merge: bool) -> None:
    g = from_expression(text, merge=merge)
    if is_literal(g.nodes[g.outputs[0]]):
        with pytest.raises(CgtuiError, match="needs a named output"):
            yamlio.dumps(g)
        return
    for name, kind in kinds.items():
        if name in g:
            g.set_kind(name, kind)
    for name, value in values.items():
        if name in g and g.node(name).op is None:
            g.node(name).value = value
    for n in g.nodes:
        if n.kind is Kind.CONST and n.value is None:
            n.value = 1.5
    g.title = "random: a 'title' # with YAML characters"
    again = yamlio.loads(yamlio.dumps(g), merge=merge)
    assert again == g
    assert again.title == g.title


_YAML_PIECES = st.sampled_from(
    [
        "inputs:", "params:", "labels:", "constants:", "steps:", "output:", "expression:", "title:",
        "data:", "\n", "\n  ", " ", "x", "y", "z", ": ", "{", "}", "[", "]", ",", "- ", "1", "-2.5",
        "x * y", "exp(", ")", "|", "|\n    ", "'", '"', "&a ", "*a", "!!str ", "---\n", "#", "op: mul",
        "args: [x, y]", "null", "~", "1e-3", ".inf", "yes", "\t", "?", "%YAML 1.1\n",
    ]
)


@settings(max_examples=examples(400), deadline=None)
@given(st.lists(_YAML_PIECES, max_size=30).map("".join) | st.text(max_size=80))
def test_random_yaml_loads_or_raises_our_error(text: str) -> None:
    try:
        g = yamlio.loads(text)
    except CgtuiError as exc:
        assert str(exc)
        return
    assert g.outputs


@st.composite
def _graphs(draw: st.DrawFn) -> Graph:
    """Any valid graph: named leaves of every kind, anonymous numbers, any op on any
    earlier nodes (so also neg(-3) or x*x), user names and v-names, several outputs."""
    from cgtui.core.ops import OPS
    from cgtui.lang.build import const_name

    nodes: list[Node] = []
    names: set[str] = set()
    for name in draw(st.lists(st.sampled_from(["a", "b", "x", "y", "w", "on", "out"]), min_size=1, unique=True)):
        kind = draw(st.sampled_from([Kind.INPUT, Kind.LABEL, Kind.PARAM, Kind.CONST]))
        value = draw(_numbers) if kind is Kind.CONST or draw(st.booleans()) else None
        nodes.append(Node(name, kind, None, (), value))
        names.add(name)
    for v in draw(st.lists(_numbers, max_size=3)):
        v = v + 0.0
        if const_name(v) not in names:
            nodes.append(Node(const_name(v), Kind.CONST, None, (), v))
            names.add(const_name(v))
    for k in range(draw(st.integers(1, 12))):
        op = draw(st.sampled_from(sorted(name for name, entry in OPS.items() if not entry.tensor)))
        operands = tuple(draw(st.integers(0, len(nodes) - 1)) for _ in range(OPS[op].arity))
        name = draw(st.sampled_from([f"v{k + 1}", f"s{k}", f"z_{k}"]))
        if name in names:
            name = f"t{k}"
        nodes.append(Node(name, Kind.COMPUTATION, op, operands))
        names.add(name)
    used = {p for n in nodes for p in n.operands}
    for i, n in enumerate(list(nodes)):
        if is_literal(n) and i not in used:  # a number nothing uses has no place in the file
            nodes.append(Node(f"u{i}", Kind.COMPUTATION, "neg", (i,)))
    candidates = [i for i, n in enumerate(nodes) if not is_literal(n)]
    outputs = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=3, unique=True))
    return Graph(nodes, outputs)


@settings(max_examples=examples(300), deadline=None)
@given(_graphs(), st.booleans())
def test_any_graph_round_trips(g: Graph, merge: bool) -> None:
    text = yamlio.dumps(g)
    again = yamlio.loads(text, merge=merge)
    assert again == g, text


@pytest.mark.skipif(yamlio._EVENT_LOADER is yaml.SafeLoader, reason="only with libyaml")
def test_deep_nesting_does_not_fall_back_to_the_slow_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """libyaml refuses 1,000 levels at once; re-parsing 100,000 brackets with PyYAML's
    pure-Python parser to word the error took four minutes (quadratic in the depth)."""
    loaders: list[object] = []
    real_parse = yaml.parse

    def parse(text: str, Loader: Any) -> object:
        loaders.append(Loader)
        return real_parse(text, Loader=Loader)

    monkeypatch.setattr(yaml, "parse", parse)
    err = _error("extra: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert err.message == f"YAML nested more than {yamlio.MAX_DEPTH} levels deep" and err.line == 1
    assert yaml.SafeLoader not in loaders

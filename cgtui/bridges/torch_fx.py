"""A graph from a PyTorch function or ``nn.Module``, traced with PyTorch's own tracer
(``torch.fx.symbolic_trace``), and a node-by-node check of cgtui against PyTorch.

Each traced operation maps to one entry of the op table; the traced program is written as
statements in cgtui's own language (``mul = w * x``, ``tanh = tanh(add)``) and built by
the one builder, so an imported graph is like any other. A module's parameters become
params, the function's arguments inputs; the example values are the leaves' values.
An operation the op table does not have is refused, with every such node listed: nothing
is dropped.

This runs the user's Python file (it has to, to trace it), so it is only ever reached
from the command line (``cgtui import torch``), never from the explorer or ``cgtui serve``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cgtui.bridges.pyfile import load_object
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind
from cgtui.core.ops import FUNCTIONS
from cgtui.engine.engine import gradients
from cgtui.lang.build import from_expression
from cgtui.lang.parser import RESERVED_WORDS

INSTALL = "pip install 'cgtui[torch]'"

#: Binary and unary operators by the Python function that fx records.
_OPERATORS: dict[Any, str] = {
    operator.add: "+",
    operator.iadd: "+",
    operator.sub: "-",
    operator.isub: "-",
    operator.mul: "*",
    operator.imul: "*",
    operator.truediv: "/",
    operator.itruediv: "/",
    operator.pow: "^",
    operator.ipow: "^",
}
#: torch functions and tensor methods by name: an operator or one of cgtui's functions.
_BY_NAME: dict[str, str] = {
    "add": "+",
    "sub": "-",
    "subtract": "-",
    "mul": "*",
    "multiply": "*",
    "div": "/",
    "divide": "/",
    "true_divide": "/",
    "pow": "^",
    "neg": "neg",
    "negative": "neg",
    "square": "square",
    **{name: name for name in ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs")},
}


def _torch() -> Any:
    try:
        import torch
        import torch.fx
    except ImportError:
        raise CgtuiError(f"cgtui import torch needs PyTorch: {INSTALL}") from None
    return torch


def load_callable(spec: str) -> Any:
    """``FILE.py:NAME``: the function or ``nn.Module`` (an instance, or a class built with
    no arguments) called NAME in FILE. Runs FILE (once PyTorch is known to be there)."""
    torch = _torch()
    obj = load_object(spec)
    if isinstance(obj, type) and issubclass(obj, torch.nn.Module):
        try:
            obj = obj()
        except TypeError as exc:
            raise CgtuiError(f"{spec} must be buildable with no arguments: {exc}") from None
    if not callable(obj):
        raise CgtuiError(f"{spec} is not a function or a module")
    return obj


@dataclass
class Imported:
    graph: Graph
    program: str  # the traced program in cgtui's language
    names: dict[str, str]  # fx node name -> cgtui node name
    fn: Any  # the traced function or module
    inputs: list[str]  # argument names, in order
    params: dict[str, str]  # a module attribute (``layer.w``) -> its cgtui param node


def _safe_name(name: str, taken: set[str]) -> str:
    base = name if name.isidentifier() else "v"
    if base in FUNCTIONS or base in RESERVED_WORDS or base in taken:
        k = 1
        while f"{base}_v{k}" in taken:
            k += 1
        base = f"{base}_v{k}"
    taken.add(base)
    return base


def _number(x: Any) -> str:
    value = float(x)
    if not math.isfinite(value):
        raise CgtuiError(f"the traced function uses the number {value}, which a graph cannot hold")
    text = repr(value)
    return f"({text})" if text.startswith("-") else text


def _op_of(node: Any) -> str | None:
    """The cgtui operator or function for an fx node, or None."""
    target = node.target
    if node.op == "call_function":
        if target in _OPERATORS:
            return _OPERATORS[target]
        if target is operator.neg:
            return "neg"
        name = getattr(target, "__name__", "")
        module = getattr(target, "__module__", "") or ""
        if name in _BY_NAME and (module.startswith("torch") or module == "" or "torch" in repr(target)):
            return _BY_NAME[name]
        return None
    if node.op == "call_method" and isinstance(target, str):
        return _BY_NAME.get(target)
    return None


def trace(fn: Any, example: Mapping[str, float]) -> Imported:
    """The graph of ``fn`` traced by torch.fx, with the example values on its inputs."""
    torch = _torch()
    try:
        gm = torch.fx.symbolic_trace(fn)
    except Exception as exc:
        raise CgtuiError(f"torch.fx could not trace it: {type(exc).__name__}: {exc}") from None
    taken: set[str] = set()
    names: dict[str, str] = {}
    lines: list[str] = []
    inputs: list[str] = []
    params: dict[str, float] = {}
    param_targets: dict[str, str] = {}
    problems: list[str] = []
    output: str | None = None

    def operand(arg: Any) -> str:
        if isinstance(arg, torch.fx.Node):
            return names[arg.name]
        if isinstance(arg, bool) or not isinstance(arg, int | float):
            raise CgtuiError(f"an operand {arg!r} is neither a traced value nor a number")
        return _number(arg)

    for node in gm.graph.nodes:
        if node.op == "placeholder":
            names[node.name] = _safe_name(node.name, taken)
            inputs.append(node.name)
        elif node.op == "get_attr":
            value = _attribute(gm, node.target)
            if value.numel() != 1:
                problems.append(
                    f"'{node.target}' holds {tuple(value.shape)} values; cgtui nodes hold one number"
                )
                continue
            names[node.name] = _safe_name(node.name, taken)
            params[names[node.name]] = float(value.detach().reshape(()).item())
            param_targets[str(node.target)] = names[node.name]
        elif node.op in ("call_function", "call_method"):
            op = _op_of(node)
            extra = {k: v for k, v in node.kwargs.items() if not (k == "inplace" and v is False)}
            if op is None or extra:
                what = (
                    node.target
                    if isinstance(node.target, str)
                    else getattr(node.target, "__name__", node.target)
                )
                why = f" with {', '.join(extra)}" if extra and op is not None else ""
                problems.append(f"node '{node.name}': {node.op} {what}{why}")
                names[node.name] = _safe_name(node.name, taken)
                continue
            args = [operand(a) for a in node.args]
            names[node.name] = name = _safe_name(node.name, taken)
            if op in ("+", "-", "*", "/", "^") and len(args) == 2:
                lines.append(f"{name} = {args[0]} {op} {args[1]}")
            elif op == "neg" and len(args) == 1:
                lines.append(f"{name} = -{args[0]}")
            elif op == "square" and len(args) == 1:
                lines.append(f"{name} = {args[0]} ^ 2")
            elif op in FUNCTIONS and len(args) == 1:
                lines.append(f"{name} = {op}({args[0]})")
            else:
                problems.append(f"node '{node.name}': {op} with {len(args)} arguments")
        elif node.op == "call_module":
            problems.append(
                f"node '{node.name}': the submodule {node.target} (layers need array-valued nodes)"
            )
        elif node.op == "output":
            result = node.args[0]
            if not isinstance(result, torch.fx.Node):
                problems.append("the function must return one traced value")
            else:
                output = names.get(result.name)
    if problems:
        raise CgtuiError(
            f"{len(problems)} operation(s) cgtui's op table does not have:\n  " + "\n  ".join(problems)
        )
    if output is None:
        raise CgtuiError("the traced function returns no value")
    unknown = sorted(set(example) - set(inputs))
    if unknown:
        raise CgtuiError(
            f"--example names {', '.join(unknown)}, which are not arguments ({', '.join(inputs)})"
        )
    if not lines:
        raise CgtuiError("the traced function computes nothing from its arguments")
    if lines[-1].split(" = ")[0] != output:
        raise CgtuiError(f"the traced function returns '{output}', which is not its last operation")
    program = "\n".join(lines) + "\n"
    values = {names[k]: float(v) for k, v in example.items()}
    values.update(params)
    graph = from_expression(program, params=set(params), values=values, merge=False)
    for name in inputs:
        if names[name] in graph:
            graph.set_kind(names[name], Kind.INPUT)
    return Imported(graph, program, names, fn, inputs, param_targets)


def _attribute(gm: Any, target: str) -> Any:
    obj = gm
    for part in target.split("."):
        obj = getattr(obj, part)
    return obj


@dataclass
class NodeCheck:
    name: str  # the cgtui node
    ours: float
    theirs: float

    @property
    def difference(self) -> float:
        return abs(self.ours - self.theirs)


def check(imported: Imported, example: Mapping[str, float]) -> tuple[list[NodeCheck], list[NodeCheck]]:
    """Every traced node's value and every leaf's gradient, cgtui against PyTorch (float64)
    on the example values."""
    torch = _torch()
    graph = imported.graph
    missing = [n for n in imported.inputs if n not in example]
    if missing:
        raise CgtuiError(f"--check needs --example values for {', '.join(missing)}")
    tensors = {
        k: torch.tensor(float(example[k]), dtype=torch.float64, requires_grad=True) for k in imported.inputs
    }
    recorded: dict[str, Any] = {}
    gm = torch.fx.symbolic_trace(imported.fn).double()

    interpreter: Any = torch.fx.Interpreter

    class Recorder(interpreter):  # type: ignore[misc]
        def run_node(self, n: Any) -> Any:
            result = super().run_node(n)
            if isinstance(result, torch.Tensor):
                recorded[n.name] = result
            return result

    out = Recorder(gm).run(*(tensors[k] for k in imported.inputs))
    out.backward()
    result = gradients(graph)
    values: list[NodeCheck] = []
    for fx_name, ours_name in imported.names.items():
        if fx_name in recorded and ours_name in graph:
            i = graph.index[ours_name]
            values.append(NodeCheck(ours_name, float(result.values[i]), float(recorded[fx_name].item())))
    grads: list[NodeCheck] = []
    for fx_name in imported.inputs:
        ours_name = imported.names[fx_name]
        if ours_name in graph:
            g = result.partials[graph.index[ours_name]]
            t = tensors[fx_name].grad
            grads.append(NodeCheck(ours_name, float(g or 0.0), 0.0 if t is None else float(t.item())))
    for target, ours_name in imported.params.items():
        if ours_name in graph:
            g = result.partials[graph.index[ours_name]]
            t = _attribute(gm, target).grad
            grads.append(NodeCheck(ours_name, float(g or 0.0), 0.0 if t is None else float(t.item())))
    return values, grads

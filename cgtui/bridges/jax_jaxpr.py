"""A graph from a JAX function, through ``jax.make_jaxpr``: each primitive of the jaxpr is
one node (``mul``, ``tanh``, ``integer_pow[y=2]`` as ``^ 2``, ``logistic`` as
``sigmoid``, ``max(x, 0)`` as ``relu``), and calls (``jit``, ``custom_jvp_call``) are
inlined, so ``jax.nn.relu`` reads as one ``relu``. As with the PyTorch bridge, the program is
written in cgtui's language and built by the one builder; anything the op table does not
have is listed and refused.

``check`` evaluates the same jaxpr primitive by primitive on the example values and
compares every node's value, and ``jax.grad`` every argument's gradient, with cgtui's.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from cgtui.bridges.common import Compared, Names, number
from cgtui.bridges.pyfile import load_object
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind
from cgtui.engine.engine import gradients
from cgtui.lang.build import from_expression

INSTALL = "pip install 'cgtui[jax]'"
T = TypeVar("T")

_BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^"}
_UNARY = {
    "exp": "exp",
    "log": "log",
    "sqrt": "sqrt",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "tanh": "tanh",
    "logistic": "sigmoid",
    "abs": "abs",
}
#: Primitives that pass their operand through (a float64 value stays as it is).
_IDENTITY = {"convert_element_type", "copy", "copy_p", "stop_gradient_free"}
#: Primitives whose body is another jaxpr, inlined; the parameter that holds it.
_CALLS = {"jit": "jaxpr", "pjit": "jaxpr", "closed_call": "call_jaxpr", "custom_jvp_call": "call_jaxpr"}


def _jax() -> Any:
    try:
        import jax
    except ImportError:
        raise CgtuiError(f"cgtui import jax needs JAX: {INSTALL}") from None
    jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]
    return jax


def load_function(spec: str) -> Any:
    """The function NAME in FILE for ``FILE.py:NAME``; runs FILE (once JAX is known to be there)."""
    _jax()
    obj = load_object(spec)
    if not callable(obj):
        raise CgtuiError(f"{spec} is not a function")
    return obj


@dataclass
class Imported:
    graph: Graph
    program: str
    fn: Any
    arguments: list[str]  # the function's arguments, in order
    made: list[str]  # the node each primitive made, in the order of the jaxpr (calls inlined)


def _is_literal(v: Any) -> bool:
    return type(v).__name__ == "Literal"


def _arguments(fn: Any, example: Mapping[str, float]) -> list[str]:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        raise CgtuiError("cannot read the function's arguments") from None
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    missing = [n for n in names if n not in example]
    if missing:
        raise CgtuiError(f"jax traces with example values: give --example values for {', '.join(missing)}")
    unknown = sorted(set(example) - set(names))
    if unknown:
        raise CgtuiError(
            f"--example names {', '.join(unknown)}, which are not arguments ({', '.join(names)})"
        )
    return names


def _walk(
    closed: Any,
    env: dict[Any, T],
    literal: Callable[[Any], T],
    on_eqn: Callable[[Any, list[T]], list[T]],
) -> dict[Any, T]:
    """Walk a closed jaxpr's equations in order with calls inlined (an explicit stack, no
    recursion): ``on_eqn(eqn, operands)`` gives each other equation's outputs. Returns the
    top-level environment."""
    jaxpr = closed.jaxpr
    env.update(zip(jaxpr.constvars, (literal(c) for c in closed.consts), strict=True))
    top = env
    stack: list[tuple[Iterator[Any], dict[Any, T], tuple[dict[Any, T], Any, Any] | None]] = [
        (iter(jaxpr.eqns), env, None)
    ]
    while stack:
        eqns, env, back = stack[-1]
        eqn = next(eqns, None)
        if eqn is None:
            stack.pop()
            if back is not None:
                outer, outvars, inner_out = back
                for o, i in zip(outvars, inner_out, strict=True):
                    outer[o] = literal(i.val) if _is_literal(i) else env[i]
            continue
        operands = [literal(v.val) if _is_literal(v) else env[v] for v in eqn.invars]
        if eqn.primitive.name in _CALLS:
            inner = eqn.params[_CALLS[eqn.primitive.name]]
            inner_jaxpr = getattr(inner, "jaxpr", inner)
            inner_env: dict[Any, T] = dict(zip(inner_jaxpr.invars, operands, strict=True))
            consts = getattr(inner, "consts", [])
            inner_env.update(zip(inner_jaxpr.constvars, (literal(c) for c in consts), strict=True))
            stack.append((iter(inner_jaxpr.eqns), inner_env, (env, eqn.outvars, inner_jaxpr.outvars)))
            continue
        env.update(zip(eqn.outvars, on_eqn(eqn, operands), strict=True))
    return top


def trace(fn: Any, example: Mapping[str, float]) -> Imported:
    """The graph of ``fn``'s jaxpr at the example values."""
    jax = _jax()
    arguments = _arguments(fn, example)
    try:
        closed = jax.make_jaxpr(fn)(*(float(example[n]) for n in arguments))
    except Exception as exc:
        raise CgtuiError(f"jax.make_jaxpr could not trace it: {type(exc).__name__}: {exc}") from None
    fresh = Names().fresh

    lines: list[str] = []
    problems: list[str] = []
    made: list[str] = []

    def on_eqn(eqn: Any, operands: list[str]) -> list[str]:
        prim = eqn.primitive.name
        if prim in _IDENTITY and len(operands) == 1:
            return operands
        expr = _expression(prim, operands, eqn.params)
        if expr is None or len(eqn.outvars) != 1:
            problems.append(f"{prim}{_params_text(eqn.params)} on {', '.join(operands)}")
            return [fresh(prim) for _ in eqn.outvars]
        name = fresh("relu" if expr.startswith("relu(") else prim)
        lines.append(f"{name} = {expr}")
        made.append(name)
        return [name]

    jaxpr = closed.jaxpr
    env: dict[Any, str] = {var: fresh(name) for var, name in zip(jaxpr.invars, arguments, strict=True)}
    inputs = dict(env)
    env = _walk(closed, env, number, on_eqn)
    if problems:
        raise CgtuiError(
            f"{len(problems)} primitive(s) cgtui's op table does not have:\n  " + "\n  ".join(problems)
        )
    if len(jaxpr.outvars) != 1:
        raise CgtuiError(f"the function returns {len(jaxpr.outvars)} values; cgtui imports functions of one")
    out = jaxpr.outvars[0]
    output = number(out.val) if _is_literal(out) else env[out]
    if not lines or lines[-1].split(" = ")[0] != output:
        raise CgtuiError("the function's value is not computed by its last operation")
    program = "\n".join(lines) + "\n"
    values = {inputs[v]: float(example[n]) for v, n in zip(jaxpr.invars, arguments, strict=True)}
    graph = from_expression(program, values={k: v for k, v in values.items() if k in program}, merge=False)
    for name in inputs.values():
        if name in graph:
            graph.set_kind(name, Kind.INPUT)
    return Imported(graph, program, fn, arguments, made)


def _params_text(params: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in params.items() if k in ("y",)}
    return f"[{', '.join(f'{k}={v}' for k, v in shown.items())}]" if shown else ""


def _expression(prim: str, operands: list[str], params: Mapping[str, Any]) -> str | None:
    if prim in _BINARY and len(operands) == 2:
        return f"{operands[0]} {_BINARY[prim]} {operands[1]}"
    if prim in _UNARY and len(operands) == 1:
        return f"{_UNARY[prim]}({operands[0]})"
    if prim == "neg" and len(operands) == 1:
        return f"-{operands[0]}"
    if prim == "integer_pow" and len(operands) == 1:
        return f"{operands[0]} ^ {number(params['y'])}"
    if prim == "square" and len(operands) == 1:
        return f"{operands[0]} ^ 2"
    if prim == "max" and len(operands) == 2 and "0.0" in operands:
        other = operands[1] if operands[0] == "0.0" else operands[0]
        return f"relu({other})"
    return None


def check(imported: Imported, example: Mapping[str, float]) -> tuple[list[Compared], list[Compared]]:
    """Every node's value, primitive by primitive in JAX, and every argument's gradient by
    ``jax.grad``, against cgtui's."""
    jax = _jax()
    graph = imported.graph
    result = gradients(graph)
    args = [float(example[n]) for n in imported.arguments]
    closed = jax.make_jaxpr(imported.fn)(*args)
    theirs: list[float] = []

    def on_eqn(eqn: Any, operands: list[Any]) -> list[Any]:
        if eqn.primitive.name in _IDENTITY and len(operands) == 1:
            return operands
        out = eqn.primitive.bind(*operands, **eqn.params)
        outs = list(out) if eqn.primitive.multiple_results else [out]
        theirs.append(float(outs[0]))
        return outs

    _walk(closed, dict(zip(closed.jaxpr.invars, args, strict=True)), lambda v: v, on_eqn)
    values = [
        Compared(name, float(result.values[graph.index[name]]), value)
        for name, value in zip(imported.made, theirs, strict=True)
        if name in graph.index
    ]
    grads_of = jax.grad(imported.fn, argnums=tuple(range(len(args))))(*args)
    grads = [
        Compared(name, float(result.partials[graph.index[name]] or 0.0), float(g))
        for name, g in zip(imported.arguments, grads_of, strict=True)
        if name in graph.index
    ]
    return values, grads

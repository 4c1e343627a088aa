"""Graph -> expression text in cgtui's language, with as few parentheses as possible.

:func:`expression` writes the nested expression that computes one node (shared
subexpressions are written out at each use; parsing with merging joins them again).
:func:`program` writes a whole graph as statements: every computation the user named
becomes ``name = ...`` and the intermediates named automatically (``v1``, ``out``) are
inlined, so parsing the text gives the same graph back. Both walk the graph with an
explicit stack, so graphs thousands of levels deep print without recursion, and both
refuse (rather than hang) when shared subexpressions would blow the text up.

Symbols, precedence and associativity are the op table's (Python's: ``+ -`` < ``* /``
< prefix ``-`` < ``^``, right-associative), so ``-x^2`` is ``-(x^2)`` and ``(-x)^2``
keeps its parentheses. An operand written with a leading sign (``-a``, ``-2``) on the
right of an infix operator is parenthesised for the reader (``x * (-2)``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph, Kind, Node
from cgtui.core.ops import OPS
from cgtui.lang.build import const_name, is_literal

#: Texts longer than this are refused (a DAG with much sharing expands exponentially).
MAX_CHARS = 5_000_000

_ATOM = 9  # names, numbers, calls
_AUTO_NAME = re.compile(r"v\d+|out\d*")


#: How an operand binds: its precedence, and whether it is written with a leading sign.
_Binding = tuple[int, bool]


def _leaf_text(node: Node) -> tuple[str, _Binding]:
    """A leaf's text and binding (a negative number is written as the negation of one)."""
    if is_literal(node):
        text = const_name(node.value)  # type: ignore[arg-type]
        return text, ((OPS["neg"].precedence, True) if text.startswith("-") else (_ATOM, False))
    return node.name, (_ATOM, False)


def _needs_parens(parent_op: str, slot: int, child: _Binding) -> bool:
    op = OPS[parent_op]
    if op.symbol is None:  # a call: arguments need none
        return False
    prec, signed = child
    if op.arity == 1:  # prefix minus: -(a+b), -(a*b), -(-a); -a^b is fine
        return prec <= op.precedence
    if prec != op.precedence:
        return prec < op.precedence or (slot == 1 and signed)
    # equal precedence: the side the operator does not group from needs parentheses
    return slot == (0 if op.right else 1)


def _render(graph: Graph, root: int, inline: Callable[[int], bool], limit: int) -> str:
    """The text of node ``root``; nodes for which ``inline`` is False are written by name."""
    nodes = graph.nodes
    out: list[str] = []
    size = 0
    # work items: ("node", i, parens) or ("text", s)
    todo: list[tuple[str, int, bool] | tuple[str, str]] = [("node", root, False)]
    while todo:
        item = todo.pop()
        if item[0] == "text":
            piece = item[1]
            assert isinstance(piece, str)
            out.append(piece)
            size += len(piece)
            if size > limit:
                raise CgtuiError(
                    f"the expression for '{nodes[root].name}' is longer than {limit:,} characters "
                    "(shared subexpressions repeat); write it as statements instead"
                )
            continue
        i, parens = item[1], item[2]  # type: ignore[misc]
        assert isinstance(i, int)
        node = nodes[i]
        if node.op is None or (i != root and not inline(i)):
            text = _leaf_text(node)[0] if node.op is None else node.name
            todo.append(("text", f"({text})" if parens else text))
            continue
        op = OPS[node.op]
        pieces: list[tuple[str, int, bool] | tuple[str, str]] = []
        if parens:
            pieces.append(("text", "("))
        child_parens = [
            _needs_parens(node.op, slot, _binding(graph, p, inline, root))
            for slot, p in enumerate(node.operands)
        ]
        if op.symbol is None:
            pieces.append(("text", f"{op.keyword[0] if op.keyword else op.name}("))
            for slot, p in enumerate(node.operands):
                if slot:
                    pieces.append(("text", f", {op.keyword[1]}=" if op.keyword else ", "))
                pieces.append(("node", p, False))
            pieces.append(("text", ")"))
        elif op.arity == 1:
            pieces.append(("text", op.symbol))
            pieces.append(("node", node.operands[0], child_parens[0]))
        else:
            pieces.append(("node", node.operands[0], child_parens[0]))
            pieces.append(("text", f" {op.symbol} "))
            pieces.append(("node", node.operands[1], child_parens[1]))
        if parens:
            pieces.append(("text", ")"))
        todo.extend(reversed(pieces))
    return "".join(out)


def _binding(graph: Graph, i: int, inline: Callable[[int], bool], root: int) -> _Binding:
    node = graph.nodes[i]
    if node.op is None:
        return _leaf_text(node)[1]
    if i != root and not inline(i):
        return _ATOM, False
    op = OPS[node.op]
    return op.precedence, op.arity == 1 and op.symbol is not None


def expression(graph: Graph, node: int | str | None = None, *, limit: int = MAX_CHARS) -> str:
    """The nested expression that computes ``node`` (default: the first output) from leaves."""
    i = graph.outputs[0] if node is None else (graph.lookup(node) if isinstance(node, str) else node)
    return _render(graph, i, lambda _: True, limit)


def is_auto_name(name: str) -> bool:
    """``v1``, ``out``: names the builder makes up, which :func:`program` inlines."""
    return _AUTO_NAME.fullmatch(name) is not None


def program(graph: Graph, *, limit: int = MAX_CHARS) -> str:
    """The graph as statements that parse back to it (one output; leaves' kinds and
    values are not part of the text)."""
    nodes = graph.nodes
    output = graph.outputs[0] if graph.outputs else len(nodes) - 1

    def inline(i: int) -> bool:
        return is_auto_name(nodes[i].name) and i != output

    succs = graph.successor_lists()
    lines: list[str] = []
    total = 0
    for i, node in enumerate(nodes):
        if node.op is None:
            if node.kind is Kind.CONST and not is_literal(node) and type(node.value) is float:
                lines.append(f"{node.name} = {const_name(node.value)}")
            continue
        if i == output:
            continue
        if inline(i):
            if not succs[i]:  # an unused expression statement: written bare, as it was
                text = _render(graph, i, inline, limit - total)
                total += len(text)
                lines.append(text)
            continue
        text = _render(graph, i, inline, limit - total)
        total += len(text)
        lines.append(f"{node.name} = {text}")
    text = _render(graph, output, inline, limit - total)
    if is_auto_name(nodes[output].name) and nodes[output].op is not None:
        lines.append(text)
    elif nodes[output].op is None:
        lines.append(nodes[output].name if not is_literal(nodes[output]) else text)
    else:
        lines.append(f"{nodes[output].name} = {text}")
    return "\n".join(lines) + "\n"

"""``cgtui draw SOURCE``: print the graph as a layered drawing (or, with ``--outline``, as
an indented tree rooted at the output). Colours by node kind on a terminal, plain text
when the output goes to a file or a pipe (for handouts and the README)."""

from __future__ import annotations

import argparse
import sys
from collections import deque
from collections.abc import Iterator
from typing import Any

from cgtui.commands.common import add_source_arguments, graph_from_args
from cgtui.core.errors import CgtuiError, short_name

#: a whole drawing beyond this many nodes is refused (draw a neighbourhood instead)
ALL_LIMIT = 1000  # about 7 s for a 1,000-node random DAG (benchmarks/bench_draw.py)

KIND_STYLES = {
    "input": "cyan",
    "label": "yellow",
    "param": "green",
    "const": "magenta",
    "computation": "blue",
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    p.add_argument("--lr", action="store_true", help="draw left to right (default: top down)")
    p.add_argument(
        "--values",
        action="store_true",
        help="run the forward and backward passes and show each node's value and partial "
        "(without it, --at values are shown in their leaves)",
    )
    p.add_argument("--output", metavar="NAME", help="the output to differentiate (with --values)")
    p.add_argument(
        "--around",
        metavar="NAME",
        help="draw only the neighbourhood of NAME (the default above "
        "a few hundred nodes, around the output)",
    )
    p.add_argument("-k", type=int, default=2, metavar="K", help="neighbourhood radius in edges (default 2)")
    p.add_argument(
        "--all", action="store_true", help=f"draw the whole graph however large (up to {ALL_LIMIT} nodes)"
    )
    p.add_argument(
        "--outline",
        action="store_true",
        help="print an indented tree from the output to the leaves instead (each node once)",
    )
    p.add_argument("--color", choices=["auto", "always", "never"], default="auto", help="colour by node kind")


def run(args: argparse.Namespace) -> int:
    from cgtui.draw import LEFT_RIGHT, TOP_DOWN, Drawing, neighbourhood_scene, scene_for

    graph = graph_from_args(args)
    values: list[Any] | None = None
    partials: list[Any] | None = None
    if args.values:
        from cgtui.engine.engine import gradients

        g = gradients(graph, output=args.output)
        values, partials = list(g.values), list(g.partials)
    elif args.output is not None:
        graph.lookup(args.output)  # a clear error for a wrong name
    if values is None and args.at:
        # the values given with --at, in the leaves' boxes (--values also computes the rest)
        values = [n.value if n.op is None else None for n in graph.nodes]
    if args.k < 0:
        raise CgtuiError(f"-k must be 0 or more, not {args.k}")

    if args.outline:
        for line in outline(graph, args.output, values, partials):
            print(line)
        return 0

    if args.around is not None:
        scene = neighbourhood_scene(graph, graph.lookup(args.around), args.k)
    elif args.all:
        if len(graph) > ALL_LIMIT:
            raise CgtuiError(
                f"the graph has {len(graph)} nodes; --all draws at most {ALL_LIMIT} "
                "(use --around NAME -k K for a part of it)"
            )
        scene = scene_for(graph, limit=ALL_LIMIT)
        if len(graph) > 300:
            print(f"cgtui: laying out {len(graph)} nodes takes a few seconds...", file=sys.stderr)
    else:
        centre = graph.lookup(args.output) if args.output is not None else None
        scene = scene_for(graph, centre, args.k)
    if scene.partial:
        centre_name = short_name(graph.nodes[scene.centre].name) if scene.centre is not None else "?"
        more = ", cut short" if scene.truncated else ""
        everything = ", --all for everything" if len(graph) <= ALL_LIMIT else ""
        print(
            f"cgtui: {len(graph)} nodes: drawing the {scene.k}-edge neighbourhood of "
            f"'{centre_name}'{more} (--around NAME -k K to move{everything})",
            file=sys.stderr,
        )
    drawing = Drawing.build(
        graph,
        LEFT_RIGHT if args.lr else TOP_DOWN,
        scene=scene,
        values=values,
        partials=partials,
        show_values=values is not None,
        show_partials=partials is not None,
    )
    drawing.no_partial = "-"  # the passes are complete: no partial means not differentiated
    picture = drawing.picture(values, partials)
    colour = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    if not colour:
        print(picture.text())
        return 0
    _print_coloured(drawing, picture)
    return 0


def _print_coloured(drawing: Any, picture: Any) -> None:
    from rich.console import Console
    from rich.text import Text

    from cgtui.draw import ARROW, BORDER, EDGE, NAME, PARTIAL, ROLES, VALUE

    scene = drawing.scene
    console = Console(highlight=False, soft_wrap=True, force_terminal=True)
    for row, line in enumerate(picture.lines):
        text = Text(line.rstrip())
        for start, end, tag in picture.spans(row):
            if start >= len(text.plain):
                break
            index, role = divmod(tag, ROLES)
            style = ""
            if role in (EDGE, ARROW):
                style = "dim" if role == EDGE else ""
            elif role in (BORDER, NAME):
                item = scene.items[index]
                style = "dim" if item.stub else KIND_STYLES.get(scene.graph.nodes[item.node].kind.value, "")
                if role == NAME and not item.stub:
                    style += " bold"
            elif role == VALUE:
                style = "green"
            elif role == PARTIAL:
                style = "red"
            if style:
                text.stylize(style, start, end)
        console.print(text, crop=False, overflow="ignore", no_wrap=True)


#: Deeper than this, an outline goes on in a tree of its own below (so the indentation,
#: and the output, stay linear in the graph: a 12,000-deep chain printed 252 MB).
OUTLINE_DEPTH = 32


def outline(
    graph: Any, output: str | None, values: list[Any] | None, partials: list[Any] | None
) -> Iterator[str]:
    """The graph as an indented tree: the output first, each node's operands below it.

    Every node is written out once; a later use of it is one line that refers back to it
    (``v1 ↑``). Past :data:`OUTLINE_DEPTH` levels a node starts a tree of its own after the
    current one (``v ↓ (continued below)``), so no line is indented more than that.
    """
    from cgtui.draw.render import PARTIAL_PREFIX, VALUE_PREFIX, value_string

    def label(i: int) -> str:
        node = graph.nodes[i]
        text = short_name(node.name)
        if node.op is not None:
            text += f" = {_op_text(graph, i)}"
        else:
            text += f" ({node.kind.value})"
        if values is not None:
            text += f"   {VALUE_PREFIX}{value_string(values[i])}"
        if partials is not None and partials[i] is not None:
            text += f"   {PARTIAL_PREFIX}{value_string(partials[i])}"
        return text

    out = graph.lookup(output) if output is not None else graph.outputs[0]
    roots = deque([out] + [o for o in graph.outputs if o != out])
    QUEUED, WRITTEN = 1, 2
    state: dict[int, int] = dict.fromkeys(roots, QUEUED)
    while roots:
        root = roots.popleft()
        if state.get(root) == WRITTEN:  # another output, already written out above
            yield f"╙── {short_name(graph.nodes[root].name)} ↑"
            continue
        state[root] = WRITTEN
        yield f"╙── {label(root)}"
        stack: list[tuple[int, str, int, bool]] = []  # (node, prefix, depth, last operand)
        _push_operands(graph, stack, root, "    ", 1)
        while stack:
            i, prefix, depth, last = stack.pop()
            branch = "└─╼ " if last else "├─╼ "
            name = short_name(graph.nodes[i].name)
            if i in state:
                yield f"{prefix}{branch}{name} {'↑' if state[i] == WRITTEN else '↓'}"
                continue
            if depth >= OUTLINE_DEPTH and graph.nodes[i].op is not None:
                state[i] = QUEUED
                roots.append(i)
                yield f"{prefix}{branch}{name} ↓ (continued below)"
                continue
            state[i] = WRITTEN
            yield f"{prefix}{branch}{label(i)}"
            _push_operands(graph, stack, i, prefix + ("    " if last else "│   "), depth + 1)


def _push_operands(
    graph: Any, stack: list[tuple[int, str, int, bool]], i: int, prefix: str, depth: int
) -> None:
    operands = graph.nodes[i].operands
    for k in range(len(operands) - 1, -1, -1):  # the first operand on top
        stack.append((operands[k], prefix, depth, k == len(operands) - 1))


def _op_text(graph: Any, i: int) -> str:
    """``yhat - y``, ``tanh(v1)``, ``x * (-3)``, with names cut to a sensible width."""
    from cgtui.core.notation import apply
    from cgtui.core.ops import OPS

    node = graph.nodes[i]
    return apply(OPS[node.op], [short_name(graph.nodes[p].name) for p in node.operands])

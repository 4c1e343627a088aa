"""Zoom into a tensor node: the scalar graph it stands for, opened in the explorer.

``Z`` on a computed node of a tensor graph builds its scalar graph
(:func:`cgtui.app.tensor_view.zoom_node`: the node's operand values, and its upstream
partial ``G`` when backprop has reached it, else ones) and shows it in place of the
graph on screen, stepped like any graph; the tensor graph is kept, with every step taken,
on the app's stack of graphs left (:mod:`cgtui.app.modes`), and ``escape`` (or ``Z``
again) goes back to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cgtui.app.modes import Host, Saved
from cgtui.app.tensor_view import zoom_node
from cgtui.core.errors import CgtuiError
from cgtui.engine.engine import Stepper


@dataclass
class ZoomSaved(Saved):
    """A tensor graph left for the zoom of one of its nodes."""


def in_zoom(app: Host) -> bool:
    return bool(app.graph_stack) and isinstance(app.graph_stack[-1], ZoomSaved)


def zoom_back(app: Host) -> None:
    """Back from a zoom to the tensor graph, where it was left."""
    saved = app.graph_stack.pop()
    app.stepper = saved.stepper
    app.source = saved.source
    app._show_graph(f"back to {saved.source}, where you left it")
    if 0 <= saved.selected < len(saved.stepper.graph.nodes):
        app.selected = saved.selected


def zoom_in(app: Host) -> tuple[bool, str]:
    """Open the zoom of the selected node: (True, a one-line summary), or (False, the
    one-line reason there is none)."""
    s = app.stepper
    try:
        zoomed = zoom_node(s, app.selected)
    except CgtuiError as exc:
        return False, f"no zoom: {exc}"
    z = zoomed.zoom
    app.graph_stack.append(ZoomSaved(s, app.source, app.selected))
    app.stepper = Stepper(z.graph)
    app.source = z.graph.title or f"zoom of {zoomed.node}"
    count = len(z.graph.nodes)
    app._show_graph(
        f"zoomed into {zoomed.node} ({z.op}): {count} scalar nodes; {zoomed.upstream_note}; "
        f"backprop from {z.loss} gives each operand entry its VJP entry; escape goes back"
    )
    return True, f"zoom of {zoomed.node}: {count} scalar nodes; {zoomed.upstream_note}; escape: back"

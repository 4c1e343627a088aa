"""The explorer's second screen for the backward pass: the gradient computation of the
graph on screen (:func:`cgtui.engine.backward_graph.backward_graph`) opened as a graph of
its own, stepped like any graph, and the way back to the original with its progress kept.

The app keeps a stack of the graphs it left: ``G`` (or the palette's "Backward graph")
opens the backward graph of the current one, at the current leaf values and for the
current output, and pushes the current stepper; pressing it on a backward graph goes
back, so ``G`` toggles between the two. To differentiate a backward graph again, save it
(``s``) and open the file (``o``), or use ``cgtui backward-graph`` twice. A tensor graph's
backward graph holds arrays, and the main screen shows them as it shows any array node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cgtui.core.errors import CgtuiError
from cgtui.engine.backward_graph import backward_graph
from cgtui.engine.engine import Stepper


@dataclass
class Saved:
    """A graph left for its backward graph: its stepper (with every step taken) and name."""

    stepper: Stepper
    source: str
    selected: int


class Host(Protocol):
    """What this module needs of the explorer."""

    stepper: Stepper
    source: str
    selected: int
    graph_stack: list[Saved]

    def _show_graph(self, message: str) -> None: ...


def toggle_backward_graph(app: Host) -> str | None:
    """Open the backward graph of the graph on screen, or go back from one. Returns the
    problem if there is no backward graph (every leaf a constant), else None."""
    stack = app.graph_stack
    if stack:
        saved = stack.pop()
        app.stepper = saved.stepper
        app.source = saved.source
        app._show_graph(f"back to {saved.source}, where you left it")
        if 0 <= saved.selected < len(saved.stepper.graph.nodes):
            app.selected = saved.selected
        return None
    s = app.stepper
    try:
        bg = backward_graph(s.graph, s.output)
    except CgtuiError as exc:
        return str(exc)
    stack.append(Saved(s, app.source, app.selected))
    app.stepper = Stepper(bg.graph)
    app.source = bg.graph.title
    outputs = ", ".join(bg.graph.output_names)
    app._show_graph(
        f"opened the backward pass of {s.output_name} as a graph (outputs {outputs}); G goes back"
    )
    return None

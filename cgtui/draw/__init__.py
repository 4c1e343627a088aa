"""Drawing the computation graph itself: layered boxes and edges on a character grid.

Pure like the core (no textual, no rich): the CLI (``cgtui draw``), the explorer's
drawing view and the tests all use it.

    drawing = Drawing.build(graph)               # scene + layout (the slow part)
    print(drawing.picture(values, partials).text())

:mod:`cgtui.draw.scene` chooses what to draw (all of a small graph, or the neighbourhood
of one node), :mod:`cgtui.draw.layout` places boxes and routes edges, and
:mod:`cgtui.draw.render` turns that into characters with a tag per cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cgtui.core.graph import Graph
from cgtui.draw.layout import LEFT_RIGHT, TOP_DOWN, Box, Layout, Route, lay_out
from cgtui.draw.render import (
    ARROW,
    BORDER,
    EDGE,
    NAME,
    PARTIAL,
    PARTIAL_PREFIX,
    ROLES,
    TEXT,
    VALUE,
    Picture,
    item_lines,
    measure,
    refill,
    render,
)
from cgtui.draw.scene import FULL_LIMIT, Edge, Item, Scene, full_scene, neighbourhood_scene, scene_for

__all__ = [
    "ARROW",
    "BORDER",
    "EDGE",
    "FULL_LIMIT",
    "LEFT_RIGHT",
    "NAME",
    "PARTIAL",
    "ROLES",
    "TEXT",
    "TOP_DOWN",
    "VALUE",
    "Box",
    "Drawing",
    "Edge",
    "Item",
    "Layout",
    "Picture",
    "Route",
    "Scene",
    "draw_text",
    "full_scene",
    "lay_out",
    "neighbourhood_scene",
    "scene_for",
]


@dataclass
class Drawing:
    """A laid-out scene, ready to be filled with values as often as needed."""

    scene: Scene
    layout: Layout
    inner: list[int]  # inner text width of each box
    show_values: bool = True
    show_partials: bool = True
    no_partial: str = "?"  # shown for a node without a partial (e.g. "-" once backward is done)
    partial_prefix: str = PARTIAL_PREFIX  # before the second number: "d " (a partial) or "d/dx " (a tangent)

    @classmethod
    def build(
        cls,
        graph: Graph,
        orientation: str = TOP_DOWN,
        *,
        centre: int | None = None,
        k: int = 2,
        limit: int = FULL_LIMIT,
        values: Sequence[Any] | None = None,
        partials: Sequence[Any] | None = None,
        show_values: bool = True,
        show_partials: bool = True,
        scene: Scene | None = None,
        partial_prefix: str = PARTIAL_PREFIX,
    ) -> Drawing:
        """Lay out ``graph`` (or its neighbourhood around ``centre`` when it has more than
        ``limit`` nodes). Pass ``values``/``partials`` to size the boxes to those numbers
        (a one-off drawing); leave them out to get boxes that fit any number (a view
        that is refilled after each step). ``partial_prefix`` marks the second number of
        each box (the boxes are sized for it)."""
        if scene is None:
            scene = scene_for(graph, centre, k, limit=limit)
        sizes, inner = measure(
            scene,
            values,
            partials,
            show_values=show_values,
            show_partials=show_partials,
            partial_prefix=partial_prefix,
        )
        layout = lay_out(scene, sizes, orientation)
        return cls(scene, layout, inner, show_values, show_partials, partial_prefix=partial_prefix)

    def picture(self, values: Sequence[Any] | None = None, partials: Sequence[Any] | None = None) -> Picture:
        """The drawing with these numbers in the boxes."""
        return render(self.layout, [self.lines(it, values, partials) for it in range(len(self.scene.items))])

    def refill(
        self,
        picture: Picture,
        items: Iterable[int],
        values: Sequence[Any] | None = None,
        partials: Sequence[Any] | None = None,
    ) -> None:
        """Update the numbers in the boxes of ``items`` in ``picture``, in place (cheap:
        the lines are not redrawn)."""
        items = list(items)
        texts = {it: self.lines(it, values, partials) for it in items}
        refill(picture, self.layout, texts, items)

    def lines(
        self, it: int, values: Sequence[Any] | None = None, partials: Sequence[Any] | None = None
    ) -> list[tuple[str, int]]:
        """Item ``it``'s box text with roles."""
        return item_lines(
            self.scene,
            it,
            values,
            partials,
            show_values=self.show_values,
            show_partials=self.show_partials,
            width=self.inner[it],
            no_partial=self.no_partial,
            partial_prefix=self.partial_prefix,
        )


def draw_text(
    graph: Graph,
    orientation: str = TOP_DOWN,
    values: Sequence[Any] | None = None,
    partials: Sequence[Any] | None = None,
    **options: Any,
) -> str:
    """The drawing as plain text; values and partials shown when given."""
    show_values = values is not None
    show_partials = partials is not None
    drawing = Drawing.build(
        graph,
        orientation,
        values=values,
        partials=partials,
        show_values=show_values,
        show_partials=show_partials,
        **options,
    )
    drawing.no_partial = "-"
    return drawing.picture(values, partials).text()

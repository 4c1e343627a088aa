"""A vertical scrollbar that draws a moved thumb from the lines it drew before.

Textual draws a scrollbar as a Rich renderable of its whole height, through the pipeline
every widget's lines go through (a strip per line, the theme's filters, the background),
at every frame in which it moved: about 0.1-0.3 ms a line. A step late in a backward pass
on a big graph scrolls the tree and moves the side pane's scrollbar: 5-10 ms of the
step's frame went to the two bars.

Every line of a vertical bar is one of a few: the track above the thumb, the thumb, the
track below it, and the glyphs that end the thumb part-way through a cell. The bar here
works out which line goes where (``ScrollBarRender.render_bar``, the segments Textual
draws), and takes each from the lines Textual drew for it before, for the same look
(width, colours, theme, filters); Textual draws the lines it has not drawn yet.
"""

from __future__ import annotations

from typing import Any

from rich.color import Color
from rich.style import Style
from textual.geometry import Region
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip
from textual.widget import Widget

#: The colours ``ScrollBarRender`` falls back on (its own defaults).
_BACK = Color.parse("#555555")
_BAR = Color.parse("bright_magenta")


class QuickScrollBar(ScrollBar):
    """A scrollbar whose vertical lines are drawn once for each look, then reused."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._drawn_look: object = None
        self._drawn: dict[tuple[str, Style | None], Strip] = {}

    def render_lines(self, crop: Region) -> list[Strip]:
        width, height = self.size
        bar = self.render()
        if (
            not self.vertical
            or not isinstance(bar, ScrollBarRender)
            or not isinstance(bar.style, Style)
            or crop.x != 0
            or crop.width != width
            or not height
        ):
            return super().render_lines(crop)
        style = bar.style
        segments = list(
            bar.render_bar(
                size=height,
                virtual_size=bar.virtual_size,
                window_size=bar.window_size,
                position=bar.position,
                vertical=True,
                thickness=width,
                back_color=style.bgcolor or _BACK,
                bar_color=style.color or _BAR,
            ).segments
        )
        app = self.app
        look = (
            width,
            style,
            self.background_colors,
            self.opacity,
            app.ansi_theme,
            app.native_ansi_color,
            tuple(self.get_line_filters()),
        )
        if look != self._drawn_look:
            self._drawn_look, self._drawn = look, {}
        drawn = self._drawn
        keys = [(s.text, s.style) for s in segments[crop.y : crop.bottom]]
        if len(keys) == crop.height and all(key in drawn for key in keys):
            return [drawn[key] for key in keys]
        strips = super().render_lines(crop)
        if len(strips) == len(keys):
            drawn.update(zip(keys, strips, strict=True))
        return strips


def quick_vertical_scrollbar(widget: Widget, kind: type[QuickScrollBar] = QuickScrollBar) -> ScrollBar:
    """Textual's ``Widget.vertical_scrollbar``, made as a :class:`QuickScrollBar` (or
    ``kind``), for the property of a widget class that scrolls."""
    bar = widget._vertical_scrollbar
    if bar is None:
        thickness = widget.scrollbar_size_vertical
        bar = widget._vertical_scrollbar = kind(vertical=True, name="vertical", thickness=thickness)
        bar.display = False
        widget.app._start_widget(widget, bar)
    return bar

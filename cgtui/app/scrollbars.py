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

from collections.abc import Iterator
from contextlib import contextmanager
from math import ceil
from typing import TYPE_CHECKING, Any

from rich.color import Color
from rich.style import Style
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
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


if TYPE_CHECKING:
    _ScrollViewMixin = ScrollView
else:  # (a plain mixin: a Widget subclass among the bases would change their class setup)
    _ScrollViewMixin = object


class QuietBars(_ScrollViewMixin):
    """For a ``ScrollView`` whose content grows and shrinks under a size the stylesheet
    sets (the step log, the side pane): :meth:`set_virtual_size_quietly` takes the new
    content size without a layout of the screen (Textual lays out the whole screen for a
    new virtual size), and inside :meth:`quietly` the scrollbars take their new sizes and
    position without a repaint; on the way out, those whose thumb moved on screen are
    repainted. A layout happens only when a scrollbar appears or goes. A mixin, listed
    before the ``ScrollView``."""

    _quiet_bars = False
    _laid_out: tuple[Size, Size, Size] | None = None  # (``views.SteadyScroll``'s, when mixed in)

    @contextmanager
    def quietly(self) -> Iterator[None]:
        before = self._bar_states()
        self._quiet_bars = True
        try:
            yield
        finally:
            self._quiet_bars = False
        after = self._bar_states()
        for bar, state in before.items():
            if bar in after and not _same_thumb(bar, state, after[bar]):
                bar.refresh()

    def set_virtual_size_quietly(self, size: Size) -> None:
        """The content's new size, for a widget already laid out (inside :meth:`quietly`)."""
        self.set_reactive(ScrollView.virtual_size, size)
        self._scroll_update(size)  # a scrollbar that appears or goes asks for a layout
        if self._laid_out is not None:  # the scrollbars know the new size already
            self._laid_out = (self._laid_out[0], size, self._laid_out[2])

    def _bar_states(self) -> dict[ScrollBar, tuple[float, float, float]]:
        """The shown scrollbars' virtual size, window size and position."""
        bars = []
        if self.show_vertical_scrollbar:
            bars.append(self.vertical_scrollbar)
        if self.show_horizontal_scrollbar:
            bars.append(self.horizontal_scrollbar)
        return {bar: (bar.window_virtual_size, bar.window_size, bar.position) for bar in bars}

    def _scroll_update(self, virtual_size: Size) -> None:
        """Textual's, except that a scrollbar is repainted only when its sizes change (a
        new line makes the log taller, and the horizontal scrollbar stays as it was), and
        inside :meth:`quietly` not at all."""
        self._refresh_scrollbars()
        width, height = self.container_size
        across, down = self.scrollbar_size_horizontal, self.scrollbar_size_vertical
        if self.show_vertical_scrollbar and self.styles.scrollbar_size_vertical:
            self._resize_bar(self.vertical_scrollbar, virtual_size.height, height - across)
        if self.show_horizontal_scrollbar and self.styles.scrollbar_size_horizontal:
            self._resize_bar(self.horizontal_scrollbar, virtual_size.width, width - down)
        self.scroll_x = self.validate_scroll_x(self.scroll_x)
        self.scroll_y = self.validate_scroll_y(self.scroll_y)

    def _resize_bar(self, bar: ScrollBar, virtual: int, window: int) -> None:
        if (bar.window_virtual_size, bar.window_size) != (virtual, window):
            bar.set_reactive(ScrollBar.window_virtual_size, virtual)
            bar.set_reactive(ScrollBar.window_size, window)
            if not self._quiet_bars:
                bar.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Textual's, except that inside :meth:`quietly` the vertical scrollbar takes its
        position without a repaint."""
        if self.show_vertical_scrollbar:
            bar = self.vertical_scrollbar
            if self._quiet_bars:
                bar.set_reactive(ScrollBar.position, bar.validate_position(new_value))
            else:
                bar.position = new_value
        if round(old_value) != round(new_value):
            self.refresh(self.size.region)


def _same_thumb(bar: ScrollBar, old: tuple[float, float, float], new: tuple[float, float, float]) -> bool:
    """Whether a scrollbar draws its thumb in the same place for two (virtual size, window
    size, position) (placed as Textual's ``ScrollBarRender.render_bar`` places it, in
    eighths of a cell). Never for a scrollbar drawn by another renderer."""
    if bar.renderer is not ScrollBarRender:
        return False
    size = bar.size.height if bar.vertical else bar.size.width
    eighths = len(ScrollBarRender.VERTICAL_BARS if bar.vertical else ScrollBarRender.HORIZONTAL_BARS)

    def thumb(virtual: float, window: float, position: float) -> tuple[int, int] | None:
        virtual_cells = ceil(virtual)
        window_cells = ceil(window if window < virtual else 0)
        if not (window_cells and size and virtual_cells and size != virtual_cells):
            return None
        length = max(1, window_cells / (virtual_cells / size))
        start = int((size - length) * (position / (virtual_cells - window_cells)) * eighths)
        return start, start + ceil(length * eighths)

    return thumb(*old) == thumb(*new)

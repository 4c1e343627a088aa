"""The explorer's footer: the keys of the focused pane and the app, with help, quit and
the key that moves between panes first.

Textual's footer lists the focused widget's keys before the app's and cuts whatever does not
fit at the right. Here help, quit and ``tab`` (next pane) come first, so they are on screen
in every mode and at every width. While an input takes typed keys (the quiz's answer), ``?``
and ``q`` are typed, not run: the footer then shows ``f1`` and ``ctrl+q``, which still act.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

#: Actions whose keys lead the footer, with the key that acts while an input has focus.
PINNED: dict[str, tuple[str, str]] = {"help": ("f1", "Help"), "quit": ("ctrl+q", "Quit")}

#: Actions that follow the pinned ones.
NEXT = ("focus_next",)


def _action(widget: Widget) -> str:
    return widget.action.rsplit(".", 1)[-1] if isinstance(widget, FooterKey) else ""


def _rank(widget: Widget) -> int:
    order = [*PINNED, *NEXT]
    action = _action(widget)
    return order.index(action) if action in order else len(order)


#: What a footer shows: whether the palette's key is shown (and acts); for each shown
#: binding, its key, action, text, tooltip and whether it acts now.
KeysState = tuple[tuple[bool, bool | None], tuple[tuple[str, str, str, str, bool], ...]]


class KeysFooter(Footer):
    """A footer whose first keys are always help, quit and next pane.

    Textual's footer builds all its keys again whenever the bindings may have changed (a
    focus change, a key greyed out), several times in a frame at times. Here that happens at
    most once a frame and only when the keys themselves change: a key that only turns usable
    or greyed out is updated in place.
    """

    _shown: KeysState | None = None
    _update_pending = False

    def _keys_state(self) -> KeysState:
        active = self.screen.active_bindings
        keys = tuple(
            (b.key, b.action, b.description, tooltip, enabled)
            for (_, b, enabled, tooltip) in active.values()
            if b.show
        )
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        return (self.show_command_palette, palette[2] if palette is not None else None), keys

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._update_pending:
            if self._enable_in_place():
                return  # drawn in the frame of the change that made it (a step's, say)
            self._update_pending = True
            self.call_after_refresh(self._update_keys)

    def watch_show_command_palette(self) -> None:
        """The palette's key comes or goes with the width (the explorer shows it from 100
        columns): the keys are built again then, not at the next change of bindings."""
        if self.is_attached and not self._update_pending:
            self._update_pending = True
            self.call_after_refresh(self._update_keys)

    async def _update_keys(self) -> None:
        self._update_pending = False
        if not self.is_attached:
            return
        if not self._enable_in_place():
            await self.recompose()

    def _enable_in_place(self) -> bool:
        """Whether the keys shown are up to date, made so here when only some turned
        usable or greyed out (each such key restyled in place); False when they must be
        built again."""
        old, new = self._shown, self._keys_state()
        if old == new:
            return True
        if old is None or _without_enabled(old) != _without_enabled(new):
            return False
        acts = {(key, action): enabled for key, action, _, _, enabled in new[1]}
        for widget in self.query(FooterKey):
            enabled = acts.get((widget.key, widget.action))
            if enabled is not None and widget._disabled == enabled:
                widget._disabled = not enabled
                widget.set_class(not enabled, "-disabled")
                # its repaint asked of the screen now, not when the key is next idle (which
                # may come after the frame of the change that greyed it out)
                widget._check_refresh()
        self._shown = new
        return True

    def compose(self) -> ComposeResult:
        if not self._bindings_ready and self.is_attached:
            # the keys are known once the footer is on its screen: Textual's footer waits for
            # the first change of bindings and builds its keys again after the first frame
            self.set_reactive(Footer._bindings_ready, True)
        if self._bindings_ready:
            self._shown = self._keys_state()
        widgets = list(super().compose())
        if not widgets:
            return
        present = {_action(w) for w in widgets}
        extra: list[Widget] = []
        for action, (key, description) in PINNED.items():
            if action not in present:  # its usual key is typed into the focused input
                display = self.app.get_key_display(Binding(key, action))
                footer_key = FooterKey(key, display, description, f"app.{action}")
                extra.append(footer_key.data_bind(compact=Footer.compact))
        if extra:
            self.styles.grid_size_columns = (self.styles.grid_size_columns or 0) + len(extra)
        for widget in [*extra, *widgets]:
            if isinstance(widget, FooterKey):
                # styled compact or not from the start: a key that takes the footer's style
                # once mounted restyles itself, each key apart
                widget.set_reactive(FooterKey.compact, self.compact)
                widget.set_class(self.compact, "-compact", update=False)
        yield from sorted([*extra, *widgets], key=_rank)  # stable: the rest keep their order


def _without_enabled(state: KeysState) -> tuple[object, ...]:
    return state[0], tuple(k[:4] for k in state[1])

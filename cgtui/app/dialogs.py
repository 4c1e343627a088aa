"""Dialogs and the help screen. Each is a :class:`ModalScreen` that returns its answer with
``dismiss`` (``None`` when cancelled with escape); none of them changes the app's state.

File names are completed by :class:`PathSuggester`, a Textual :class:`Suggester`: the
completion shows dimmed after the cursor and ``right`` (or ``end``) accepts it.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import Suggester, SuggestFromList
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from cgtui.core import notation
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph

#: Checks an answer: None when it is fine, else the problem to show.
Validator = Callable[[str], str | None]


class PathSuggester(Suggester):
    """Complete a file or directory name from what is on disk (directories end in ``/``).
    Text that names nothing, such as an expression, gets no suggestion."""

    #: A directory with more entries than this is not listed (the suggestion must be quick).
    MAX_ENTRIES = 5000

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value or "\n" in value or value.endswith(" "):
            return None
        head, tail = os.path.split(os.path.expanduser(value))
        try:
            with os.scandir(head or ".") as entries:
                names: list[tuple[str, bool]] = []
                for n, entry in enumerate(entries):
                    if n >= self.MAX_ENTRIES:
                        return None
                    if entry.name.startswith(tail) and entry.name != tail:
                        if entry.name.startswith(".") and not tail.startswith("."):
                            continue
                        names.append((entry.name, entry.is_dir()))
        except (OSError, ValueError):
            return None
        if not names:
            return None
        name, is_dir = min(names)
        return value + name[len(tail) :] + ("/" if is_dir else "")


class PromptDialog(ModalScreen[str | None]):
    """Ask for one line of text; ``validate`` keeps the dialog open with its message.

    With ``suggestions`` (names), enter on text that is not one of them accepts the
    suggestion shown after the cursor (the first name that starts with the text); when no
    name starts with it, the dialog lists the names that contain it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        prompt: str,
        value: str = "",
        *,
        validate: Validator | None = None,
        suggestions: Sequence[str] = (),
        placeholder: str = "",
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.prompt = prompt
        self.initial = value
        self.validate = validate
        self.suggestions = list(suggestions)
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Label(self.prompt)
            suggester = SuggestFromList(self.suggestions, case_sensitive=True) if self.suggestions else None
            yield Input(self.initial, placeholder=self.placeholder, suggester=suggester, id="answer")
            yield Static("", id="error", classes="dialog-error", markup=False)
            yield Label("enter: ok · escape: cancel", classes="dialog-hint")

    @on(Input.Submitted, "#answer")
    def submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        problem = self.validate(text) if self.validate is not None else None
        if problem and self.suggestions and text:
            starting = [name for name in self.suggestions if name.startswith(text)]
            if starting:  # the suggestion on screen
                self.dismiss(starting[0])
                return
            folded = text.casefold()
            containing = [name for name in self.suggestions if folded in name.casefold()]
            if containing:
                more = len(containing) - 12
                shown = ", ".join(containing[:12]) + (f" (+{more} more)" if more > 0 else "")
                problem = f"no name starts with '{text}'; names that contain it: {shown}"
        if problem:
            self.query_one("#error", Static).update(problem)
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceDialog(ModalScreen[str | None]):
    """Pick one of several options."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        options: Sequence[tuple[str, str]],
        current: str | None = None,
        *,
        message: str = "",
        hint: str = "enter: choose · escape: cancel",
    ) -> None:
        """``options``: (id, text) pairs; the answer is the id. ``message``: what the
        choice is about, shown above the options."""
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.options = list(options)
        self.current = current
        self.message = message
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.message:
                yield Static(self.message, id="message", markup=False)
            yield OptionList(*(Option(text, id=key) for key, text in self.options), id="choices")
            yield Label(self.hint, classes="dialog-hint")

    def on_mount(self) -> None:
        choices = self.query_one(OptionList)
        for n, (key, _) in enumerate(self.options):
            if key == self.current:
                choices.highlighted = n

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.answer(event.option.id)

    def answer(self, key: str | None) -> None:
        self.dismiss(key)

    def action_cancel(self) -> None:
        self.dismiss(None)


class UnsavedDialog(ChoiceDialog):
    """Save / Discard / Cancel before the graph on screen is replaced or the app quits.
    The answer is ``save``, ``discard`` or None (cancel: keep everything as it is)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,c", "cancel", "Cancel"),
        Binding("s", "answer('save')", "Save"),
        Binding("d", "answer('discard')", "Discard"),
    ]

    def __init__(self, label: str, then: str) -> None:
        """``then``: what happens after saving or discarding, e.g. "quit"."""
        super().__init__(
            "Unsaved changes",
            [
                ("save", f"Save, then {then}"),
                ("discard", f"Discard the changes and {then}"),
                ("cancel", "Cancel: keep working on it"),
            ],
            "save",
            message=f"{label} has changes that are not saved.",
            hint="s: save · d: discard · escape or c: cancel · enter: the highlighted one",
        )

    def answer(self, key: str | None) -> None:
        self.dismiss(None if key == "cancel" else key)

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)


class InfoDialog(ModalScreen[None]):
    """Show a result (a gradient check, a descent step) until a key is pressed."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter,q", "close", "Close")]

    def __init__(self, title: str, lines: Sequence[str]) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.lines = list(lines)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static("\n".join(self.lines), id="info", markup=False)
            yield Label("enter or escape: close", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)


class OpenDialog(ModalScreen[Graph | None]):
    """Open a YAML file, an expression file, or an expression typed in.

    The graph is loaded here; an error keeps the dialog open and shows where the problem
    is, so the graph on screen stays as it was.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, loader: Callable[[str, str, str], Graph]) -> None:
        """``loader(source, values, params)`` builds the graph or raises CgtuiError."""
        super().__init__(classes="dialog-screen")
        self.loader = loader

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Open a graph", classes="dialog-title")
            yield Label("a .yaml file, an expression file, or an expression such as (x + y) * x")
            yield Input(placeholder="source", id="source", suggester=PathSuggester())
            yield Label("leaf values (x=3,y=2) and params (w,b), optional")
            with Horizontal(classes="dialog-row"):
                yield Input(placeholder="values", id="values")
                yield Input(placeholder="params", id="params")
            yield Static("", id="error", classes="dialog-error", markup=False)
            yield Label("enter: open · right: complete the file name · escape: cancel", classes="dialog-hint")

    @on(Input.Submitted)
    def submitted(self) -> None:
        source = self.query_one("#source", Input).value.strip()
        if not source:
            self.query_one("#error", Static).update("type a file name or an expression")
            self.query_one("#source", Input).focus()
            return
        try:
            graph = self.loader(
                source, self.query_one("#values", Input).value, self.query_one("#params", Input).value
            )
        except CgtuiError as exc:
            self.query_one("#error", Static).update(f"error: {exc}")
            return
        self.dismiss(graph)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class SampleChoice:
    """One line of the samples picker: a bundled sample, or why it cannot be opened."""

    name: str  # the file name, e.g. squared_error.yaml
    path: Path
    title: str
    description: str
    problem: str | None = None


class SamplesDialog(ModalScreen[Graph | None]):
    """Pick a bundled sample. Typing filters the list (by file name and title); up and
    down move, enter opens. Broken files are listed, greyed out, with what is wrong; a
    sample that fails to load keeps the dialog open with the error, and the graph on
    screen stays as it was."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move('down')", "Down", show=False),
        Binding("up", "move('up')", "Up", show=False),
    ]

    def __init__(
        self, samples: Sequence[SampleChoice], loader: Callable[[Path], Graph], where: str = ""
    ) -> None:
        """``loader(path)`` builds the graph or raises CgtuiError."""
        super().__init__(classes="dialog-screen")
        self.samples = list(samples)
        self.loader = loader
        self.where = where
        self._width = max((len(Path(sample.name).stem) for sample in self.samples), default=4)

    def _options(self, text: str) -> list[Option]:
        folded = text.strip().casefold()
        options = []
        for n, sample in enumerate(self.samples):
            if folded and folded not in f"{sample.name} {sample.title}".casefold():
                continue
            line = Text(Path(sample.name).stem.ljust(self._width), style="bold")
            line.append(f"  {sample.problem}" if sample.problem else f"  {sample.title}")
            options.append(Option(line, id=str(n), disabled=sample.problem is not None))
        return options

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog samples"):
            yield Label("Open a sample", classes="dialog-title")
            if self.samples:
                yield Input(placeholder="type to filter", id="filter")
                yield OptionList(*self._options(""), id="samples")
            else:
                yield Static(f"no samples found{' in ' + self.where if self.where else ''}", markup=False)
            yield Static("", id="sample-description", markup=False)
            yield Static("", id="error", classes="dialog-error", markup=False)
            yield Label("type: filter · up/down: move · enter: open · escape: cancel", classes="dialog-hint")

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        options = self.query_one("#samples", OptionList)
        shown = self._options(event.value)
        options.clear_options()
        options.add_options(shown)
        first = next((n for n, option in enumerate(shown) if not option.disabled), None)
        options.highlighted = first
        if not shown:
            self.query_one("#sample-description", Static).update(f"no sample matches '{event.value.strip()}'")

    def action_move(self, direction: str) -> None:
        options = self.query_one("#samples", OptionList)
        if direction == "down":
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    @on(OptionList.OptionHighlighted, "#samples")
    def highlighted(self, event: OptionList.OptionHighlighted) -> None:
        sample = self.samples[int(event.option.id or 0)]
        self.query_one("#sample-description", Static).update(sample.description)
        self.query_one("#error", Static).update("")

    @on(Input.Submitted, "#filter")
    def filter_submitted(self) -> None:
        options = self.query_one("#samples", OptionList)
        option = options.highlighted_option
        if option is None:
            self.query_one("#error", Static).update("no sample is highlighted: change the filter")
            return
        self._open(self.samples[int(option.id or 0)])

    @on(OptionList.OptionSelected, "#samples")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self._open(self.samples[int(event.option.id or 0)])

    def _open(self, sample: SampleChoice) -> None:
        error = self.query_one("#error", Static)
        if sample.problem is not None:
            error.update(f"cannot open {sample.name}: {sample.problem}")
            return
        try:
            graph = self.loader(sample.path)
        except CgtuiError as exc:
            error.update(f"cannot open {sample.name}: {exc}")
            return
        self.dismiss(graph)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SaveDialog(ModalScreen[str | None]):
    """Ask for a file name (completed from the disk). Replacing a file cgtui wrote needs a
    second enter; replacing one written by hand asks first whether to rewrite it in
    explicit form or to save beside it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        saver: Callable[[str, bool], str],
        suggestion: str = "",
        *,
        hand_written: Callable[[Path], bool] | None = None,
        beside: Callable[[Path], Path] | None = None,
    ) -> None:
        """``saver(path, overwrite)`` writes the file and returns its path, or raises
        CgtuiError. ``hand_written(path)``: whether an existing file was written by a
        person; ``beside(path)``: the new file offered instead of rewriting it."""
        super().__init__(classes="dialog-screen")
        self.saver = saver
        self.suggestion = suggestion
        self.hand_written = hand_written
        self.beside = beside
        self.confirm_for: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Save the graph and its current values as YAML", classes="dialog-title")
            yield Input(self.suggestion, placeholder="file.yaml", id="path", suggester=PathSuggester())
            yield Static("", id="error", classes="dialog-error", markup=False)
            yield Label("enter: save · right: complete the file name · escape: cancel", classes="dialog-hint")

    @on(Input.Changed, "#path")
    def changed(self) -> None:
        self.confirm_for = None
        self.query_one("#error", Static).update("")

    @on(Input.Submitted, "#path")
    def submitted(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        error = self.query_one("#error", Static)
        if not path:
            error.update("type a file name")
            return
        existing = Path(path)
        checks = self.hand_written is not None and existing.is_file() and self.confirm_for != path
        if checks and self.hand_written is not None and self.hand_written(existing):
            self._ask_about_hand_written(existing)
            return
        overwrite = self.confirm_for == path
        if existing.exists() and not overwrite:
            self.confirm_for = path
            error.update(f"{path} exists: press enter again to replace it, or change the name")
            return
        self._save(path, overwrite)

    def _ask_about_hand_written(self, path: Path) -> None:
        other = self.beside(path) if self.beside is not None else None
        options = [("rewrite", f"Rewrite {path.name} in explicit form")]
        if other is not None:
            options.insert(0, ("beside", f"Save beside it as {other.name}"))
        options.append(("cancel", "Cancel: choose another name"))
        message = (
            f"{path} was written by hand. Saving rewrites it in cgtui's explicit form: one op "
            "per step, the current values, and none of its comments or layout."
        )

        def answer(choice: str | None) -> None:
            if choice == "rewrite":
                self._save(str(path), True)
            elif choice == "beside" and other is not None:
                self._save(str(other), False)
            else:
                self.query_one("#path", Input).focus()

        dialog = ChoiceDialog("Rewrite a hand-written file?", options, options[0][0], message=message)
        self.app.push_screen(dialog, answer)

    def _save(self, path: str, overwrite: bool) -> None:
        try:
            written = self.saver(path, overwrite)
        except CgtuiError as exc:
            self.query_one("#error", Static).update(f"error: {exc}")
            return
        self.dismiss(written)

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """Every key of the explorer, and what the panes show.

    The key list is wrapped here, to the width it has, with the text of a key indented
    under itself (a hanging indent), so each key reads as one block; headings (rows with no
    key) stand on their own line. The notes on the panes come after the keys."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "close", "Close")]

    #: Keys wider than this get a line of their own, their text on the next line.
    KEY_COLUMN = 12

    def __init__(self, keys: Sequence[tuple[str, str]], notes: Sequence[str]) -> None:
        super().__init__(classes="dialog-screen")
        self.keys = list(keys)
        self.notes = list(notes)

    def key_text(self, width: int) -> str:
        """The key list wrapped to ``width`` columns."""
        column = min(max((len(k) for k, _ in self.keys), default=4), self.KEY_COLUMN)
        room = max(width - column - 2, 16)
        indent = " " * (column + 2)
        lines: list[str] = []
        for key, text in self.keys:
            if not key:
                lines.extend(textwrap.wrap(text, max(width, 16)) or [""])
                continue
            wrapped = textwrap.wrap(text, room) or [""]
            if len(key) > column:
                lines.append(key)
                lines.extend(indent + part for part in wrapped)
                continue
            lines.append(f"{key.rjust(column)}  {wrapped[0]}")
            lines.extend(indent + part for part in wrapped[1:])
        return "\n".join(lines)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Label("cgtui explorer: keys", classes="dialog-title")
            with VerticalScroll():
                yield Static(self.key_text(200), id="help-keys", markup=False)
                yield Static("\n".join(self.notes), id="help-notes", markup=False)
                yield Static("\n".join(("", *notation.CONVENTION)), id="help-notation", markup=False)
            yield Label("escape or ?: close · up/down, page up/down: scroll", classes="dialog-hint")

    def on_mount(self) -> None:
        keys = self.query_one("#help-keys", Static)
        keys.styles.text_wrap = "nowrap"  # wrapped by key_text, with the hanging indent

    def on_resize(self) -> None:
        self.call_after_refresh(self._rewrap)

    def _rewrap(self) -> None:
        keys = self.query_one("#help-keys", Static)
        width = keys.content_region.width
        if width > 0:
            keys.update(self.key_text(width))

    def action_close(self) -> None:
        self.dismiss(None)

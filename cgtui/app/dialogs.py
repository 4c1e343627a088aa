"""Dialogs and the help screen. Each is a :class:`ModalScreen` that returns its answer with
``dismiss`` (``None`` when cancelled with escape); none of them changes the app's state."""

from __future__ import annotations

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
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from cgtui.core import notation
from cgtui.core.errors import CgtuiError
from cgtui.core.graph import Graph

#: Checks an answer: None when it is fine, else the problem to show.
Validator = Callable[[str], str | None]


class PromptDialog(ModalScreen[str | None]):
    """Ask for one line of text; ``validate`` keeps the dialog open with its message."""

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
        if problem:
            self.query_one("#error", Static).update(problem)
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceDialog(ModalScreen[str | None]):
    """Pick one of several options."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, options: Sequence[tuple[str, str]], current: str | None = None) -> None:
        """``options``: (id, text) pairs; the answer is the id."""
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.options = list(options)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield OptionList(*(Option(text, id=key) for key, text in self.options), id="choices")
            yield Label("enter: choose · escape: cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        choices = self.query_one(OptionList)
        for n, (key, _) in enumerate(self.options):
            if key == self.current:
                choices.highlighted = n

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


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
            yield Input(placeholder="source", id="source")
            yield Label("leaf values (x=3,y=2) and params (w,b), optional")
            with Horizontal(classes="dialog-row"):
                yield Input(placeholder="values", id="values")
                yield Input(placeholder="params", id="params")
            yield Static("", id="error", classes="dialog-error", markup=False)
            yield Label("enter: open · escape: cancel", classes="dialog-hint")

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
    """Pick a bundled sample. Broken files are listed, greyed out, with what is wrong; a
    sample that fails to load keeps the dialog open with the error, and the graph on
    screen stays as it was."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, samples: Sequence[SampleChoice], loader: Callable[[Path], Graph], where: str = ""
    ) -> None:
        """``loader(path)`` builds the graph or raises CgtuiError."""
        super().__init__(classes="dialog-screen")
        self.samples = list(samples)
        self.loader = loader
        self.where = where

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog samples"):
            yield Label("Open a sample", classes="dialog-title")
            if self.samples:
                width = max(len(Path(sample.name).stem) for sample in self.samples)
                options = []
                for n, sample in enumerate(self.samples):
                    text = Text(Path(sample.name).stem.ljust(width), style="bold")
                    text.append(f"  {sample.problem}" if sample.problem else f"  {sample.title}")
                    options.append(Option(text, id=str(n), disabled=sample.problem is not None))
                yield OptionList(*options, id="samples")
            else:
                yield Static(f"no samples found{' in ' + self.where if self.where else ''}", markup=False)
            yield Static("", id="sample-description", markup=False)
            yield Static("", id="error", classes="dialog-error", markup=False)
            yield Label("enter: open · escape: cancel", classes="dialog-hint")

    @on(OptionList.OptionHighlighted, "#samples")
    def highlighted(self, event: OptionList.OptionHighlighted) -> None:
        sample = self.samples[int(event.option.id or 0)]
        self.query_one("#sample-description", Static).update(sample.description)
        self.query_one("#error", Static).update("")

    @on(OptionList.OptionSelected, "#samples")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        sample = self.samples[int(event.option.id or 0)]
        error = self.query_one("#error", Static)
        try:
            graph = self.loader(sample.path)
        except CgtuiError as exc:
            error.update(f"cannot open {sample.name}: {exc}")
            return
        self.dismiss(graph)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SaveDialog(ModalScreen[str | None]):
    """Ask for a file name; an existing file needs a second, explicit confirmation."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, saver: Callable[[str, bool], str], suggestion: str = "") -> None:
        """``saver(path, overwrite)`` writes the file and returns its path, or raises CgtuiError."""
        super().__init__(classes="dialog-screen")
        self.saver = saver
        self.suggestion = suggestion
        self.confirm_for: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Save the graph and its current values as YAML", classes="dialog-title")
            yield Input(self.suggestion, placeholder="file.yaml", id="path")
            yield Static("", id="error", classes="dialog-error", markup=False)
            yield Label("enter: save · escape: cancel", classes="dialog-hint")

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
        overwrite = self.confirm_for == path
        if Path(path).exists() and not overwrite:
            self.confirm_for = path
            error.update(f"{path} exists: press enter again to replace it, or change the name")
            return
        try:
            written = self.saver(path, overwrite)
        except CgtuiError as exc:
            error.update(f"error: {exc}")
            return
        self.dismiss(written)

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """Every key of the explorer, and what the panes show."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "close", "Close")]

    def __init__(self, keys: Sequence[tuple[str, str]], notes: Sequence[str]) -> None:
        super().__init__(classes="dialog-screen")
        self.keys = list(keys)
        self.notes = list(notes)

    def compose(self) -> ComposeResult:
        width = max((len(k) for k, _ in self.keys), default=4)
        lines = [f"{k.rjust(width)}  {text}" for k, text in self.keys]
        with Vertical(classes="dialog help"):
            yield Label("cgtui explorer: keys", classes="dialog-title")
            with VerticalScroll():
                yield Static("\n".join(lines), id="help-keys", markup=False)
                yield Static("\n".join(self.notes), id="help-notes", markup=False)
                yield Static("\n".join(("", *notation.CONVENTION)), id="help-notation", markup=False)
            yield Label("escape or ?: close", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)

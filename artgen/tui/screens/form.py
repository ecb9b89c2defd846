"""A form per engine: every option with the config's defaults, checked as you type.

Fields come from :func:`artgen.jobs.kinds.form_fields`, generated from the
config's settings (:mod:`artgen.schema`: the main options first, the rest
under an "advanced" fold); defaults from the config dataclass and the kind's
suggestions (a new output name, the bundled sample images). Each entry is
checked as you type against its setting's type, choices and bounds, and the
whole against the config's own ``__post_init__`` (the same one-line messages
the CLI prints), so nothing about an engine's options is written twice.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Collapsible, Header, Input, Label, Select, Static, Switch

from artgen import schema
from artgen.audio import AUDIO_SUFFIXES
from artgen.errors import ArtgenError, InputError
from artgen.images import IMAGE_EXTENSIONS, VIDEO_SUFFIXES, UnusableImage, open_image
from artgen.jobs import DeviceInfo, FieldSpec, JobKind, kinds
from artgen.jobs.checks import check_classifier_path, check_generator_path
from artgen.jobs.kinds import PATH_KINDS
from artgen.tui.screens.picker import PathPicker
from artgen.tui.widgets.footer import KeysFooter

__all__ = ["FormScreen", "check_field"]


class FormScreen(Screen):
    AUTO_FOCUS = "#form Input, #form Select"
    BINDINGS = [
        ("escape", "app.back", "Back"),
        ("ctrl+s", "start", "Start"),
        ("ctrl+o", "browse", "Browse"),
    ]

    def __init__(self, kind: JobKind, values: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.fields = kinds.form_fields(kind)
        self.suggested = kinds.suggestions(kind)
        self.initial = {**kinds.defaults(kind), **self.suggested, **(values or {})}
        self.errors: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="form-panes"):
            yield from self._form()
            yield from self.beside()
        yield KeysFooter()

    def beside(self) -> ComposeResult:
        """What a kind's form shows to the right of its fields (the style form: its preview)."""
        yield from ()

    def _form(self) -> ComposeResult:
        with VerticalScroll(id="form"):
            yield Label(f"{self.kind.title}: {self.kind.description}", classes="section")
            yield from self._rows(spec for spec in self.fields if not spec.advanced)
            with Horizontal(classes="row"):
                yield Label("device", classes="label")
                devices = [(name, name) for name in (self.app.devices or DeviceInfo()).choices()]
                yield Select(devices, value="auto", allow_blank=False, id="device", compact=True)
            advanced = [spec for spec in self.fields if spec.advanced]
            if advanced:
                with Collapsible(title="advanced", collapsed=True, id="advanced"):
                    yield from self._rows(advanced)
            yield Static("", id="form-error")
            yield Button("Start  ctrl+s", id="start", variant="primary")

    def _rows(self, specs: Any) -> ComposeResult:
        for spec in specs:
            with Horizontal(classes="row"):
                yield Label(spec.label, classes="label")
                yield self._widget(spec, self.initial.get(spec.name))
                if spec.kind in PATH_KINDS:
                    yield Button("…", id=f"browse-{spec.name}", classes="browse", compact=True)
            yield Static(self.words(spec.help), id=f"note-{spec.name}", classes="note")

    def _widget(self, spec: FieldSpec, value: Any) -> Widget:
        widget_id = f"field-{spec.name}"
        if spec.kind == "bool":
            return Switch(bool(value), id=widget_id)
        if spec.kind == "choice" and spec.choices:
            options = [(str(choice), choice) for choice in spec.choices]
            initial = value if value in spec.choices else Select.NULL
            return Select(options, value=initial, id=widget_id, compact=True)
        placeholder = "(optional)" if spec.optional else ""
        return Input(_shown(spec, value), placeholder=placeholder, id=widget_id, compact=True)

    def on_mount(self) -> None:
        self.validate()

    def on_screen_resume(self) -> None:
        """A reopened form starts at its first field, with a fresh output name if the last one is taken."""
        self._follow_suggestions()
        self.query_one("#form", VerticalScroll).scroll_home(animate=False)
        self.query_one(f"#field-{self.fields[0].name}").focus()

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Switch.Changed)
    def _changed(self) -> None:
        self._follow_suggestions()
        self.validate()

    def _follow_suggestions(self) -> None:
        """Suggested values the user has left as they were follow the rest of the form and the disk:
        a fresh output name when the last is taken, an MP4 once a walk has music."""
        fresh = kinds.suggestions(self.kind, self.values())
        specs = {spec.name: spec for spec in self.fields}
        for name, value in fresh.items():
            widget = self.query_one(f"#field-{name}")
            before = _shown(specs[name], self.suggested.get(name))
            untouched = isinstance(widget, Input) and widget.value == before
            if untouched and widget.value != (shown := _shown(specs[name], value)):
                widget.value = shown
        self.suggested = fresh

    def values(self) -> dict[str, Any]:
        """What the form holds, parsed; field errors land in ``self.errors``."""
        self.errors = {}
        values: dict[str, Any] = {}
        for spec in self.fields:
            widget = self.query_one(f"#field-{spec.name}")
            raw = widget.value
            if isinstance(widget, Select):
                raw = None if raw is Select.NULL else raw
            parsed, error = check_field(spec, raw)
            if error:
                self.errors[spec.name] = error
            else:
                values[spec.name] = parsed
        return values

    def validate(self) -> bool:
        values = self.values()
        message = ""
        if not self.errors:
            try:
                kinds.build_config(self.kind, values)
            except ArtgenError as exc:
                message = self.words(str(exc))
                # A check across options (a mixture, a batch that packs) names its option first:
                # said at that option, not only at the foot of the form, far below it.
                if (name := self._named_first(str(exc))) is not None:
                    self.errors[name] = message
        for spec in self.fields:
            note = self.query_one(f"#note-{spec.name}", Static)
            error = self.errors.get(spec.name)
            note.update(error or self.words(spec.help))
            note.set_class(bool(error), "error")
        self.query_one("#form-error", Static).update(message)
        ok = not self.errors and not message
        self.query_one("#start", Button).disabled = not ok
        return ok

    def words(self, text: str) -> str:
        """``text`` with the CLI's flags (``--mixture``, ``--no-seamless``) as this form's labels."""
        for spec in sorted(self.fields, key=lambda spec: -len(spec.option.flag)):
            name = spec.option.flag.removeprefix("--")
            text = re.sub(rf"--no-{re.escape(name)}(?![\w-])", f"{spec.label} off", text)
            for flag in (spec.option.flag, *spec.option.setting.aliases):
                if flag.startswith("--"):
                    text = re.sub(rf"{re.escape(flag)}(?![\w-])", spec.label, text)
        return text

    def _named_first(self, message: str) -> str | None:
        """The field whose flag comes first in ``message``, if any does."""
        found = []
        for spec in self.fields:
            for flag in (spec.option.flag, *spec.option.setting.aliases):
                match = re.search(rf"{re.escape(flag)}(?![\w-])", message) if flag.startswith("--") else None
                if match is not None:
                    found.append((match.start(), spec.name))
        return min(found)[1] if found else None

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        if not self.validate():
            self.app.bell()
            return
        device = self.query_one("#device", Select).value
        try:
            record = self.app.runner.submit(self.kind.name, self.values(), str(device))
        except ArtgenError as exc:
            self.query_one("#form-error", Static).update(str(exc))
            return
        self.app.open_job(record.id, replace=True)

    @on(Button.Pressed, ".browse")
    def _browse_button(self, event: Button.Pressed) -> None:
        self._browse(str(event.button.id).removeprefix("browse-"))

    def action_browse(self) -> None:
        focused = self.focused
        if focused is not None and str(focused.id).startswith("field-"):
            self._browse(str(focused.id).removeprefix("field-"))

    def _browse(self, name: str) -> None:
        spec = next(spec for spec in self.fields if spec.name == name)
        if spec.kind not in PATH_KINDS:
            return
        field = self.query_one(f"#field-{name}", Input)

        def chosen(path: str | None) -> None:
            if path:
                field.value = path

        folders = spec.kind in ("folder", "outdir")
        either = spec.kind in ("source", "destination", "generator", "classifier")
        self.app.push_screen(PathPicker(field.value, folders=folders, either=either), chosen)


def check_field(spec: FieldSpec, raw: Any) -> tuple[Any, str | None]:
    """Parse one form entry; returns ``(value, None)`` or ``(None, message)``.

    Text is read by :func:`artgen.schema.parse_text`, as the command line reads an
    option, so a mistake reads the same in both; a choice too, for a setting that
    checks more than its list (a backend that is not installed).
    """
    if spec.kind == "bool":
        return bool(raw), None
    if spec.kind == "choice":
        if raw is None:
            return (None, None) if spec.optional else (None, "choose one")
        text = str(raw)
    else:
        text = str(raw if raw is not None else "").strip()
    if not text:
        if spec.optional or spec.kind == "list":
            return spec.option.default, None
        return None, "required"
    try:
        value = schema.parse_text(spec.option, text)
    except InputError as exc:
        return None, str(exc)
    if spec.kind in ("images", "list", "latents"):
        paths = [value] if isinstance(value, str) else [] if isinstance(value, int) else value
        errors = [error for path in paths if spec.kind != "list" and (error := _check_path(spec, path))]
        if errors:
            return None, errors[0]
    elif spec.kind in PATH_KINDS and (error := _check_path(spec, text)):
        return None, error
    problem = schema.problem(spec.option, value)
    return (None, problem) if problem else (value, None)


def _shown(spec: FieldSpec, value: Any) -> str:
    """A value as its form entry: lists comma separated, None empty."""
    return schema.show(spec.option, value)


def _check_path(spec: FieldSpec, text: str) -> str | None:
    path = Path(text).expanduser()
    if spec.kind == "folder":
        if not path.exists():
            return f"no folder {path}"
        return None if path.is_dir() else f"{path} is a file, not a folder"
    if spec.kind == "outdir":
        return f"{path} is a file, not a folder" if path.is_file() else None
    if spec.kind == "generator":
        return check_generator_path(path)
    if spec.kind == "classifier":
        return check_classifier_path(path)
    if spec.kind == "latents":  # what it holds is checked against the generator when the job runs
        return None if path.is_file() else f"no file {path}"
    if spec.kind == "source" and path.is_dir():
        return None  # a batch: its photos are read, and any unusable one reported, when the job runs
    if spec.kind == "source" and path.suffix.lower() in VIDEO_SUFFIXES:
        return None if path.is_file() else f"no file {path}"  # a clip: decoded when the job runs
    if spec.kind in ("image", "source"):
        if not path.is_file():
            return f"no file {path}" if spec.kind == "image" else f"no file or folder {path}"
        if path.suffix.lower() not in IMAGE_EXTENSIONS:
            return f"{path.name} is not an image ({', '.join(sorted(IMAGE_EXTENSIONS))})"
        try:
            with open_image(path):
                pass
        except UnusableImage:
            return f"{path.name} is not a readable image"
    if spec.kind == "audio":
        if not path.is_file():
            return f"no file {path}"
        if path.suffix.lower() not in AUDIO_SUFFIXES:
            return f"{path.name} is not a music track ({', '.join(sorted(AUDIO_SUFFIXES))})"
    if spec.kind == "output" and path.is_dir():
        return f"{path} is a folder; give a file name"
    return None

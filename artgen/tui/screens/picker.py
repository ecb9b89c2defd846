"""A file or folder picker: a directory tree plus a path box."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Label

__all__ = ["PathPicker"]


class PathPicker(ModalScreen[str | None]):
    """Dismisses with the chosen path, or None on escape."""

    BINDINGS = [("escape", "cancel", "Cancel"), ("ctrl+s", "choose", "Choose")]

    def __init__(self, start: str, folders: bool, either: bool = False) -> None:
        """``folders``: choose a folder; ``either``: a file (enter) or the folder typed or opened (ctrl+s)."""
        super().__init__()
        path = Path(start or ".").expanduser()
        while not path.is_dir() and path != path.parent:
            path = path.parent
        self.root = path if path.is_dir() else Path.cwd()
        self.folders, self.either = folders, either

    def compose(self) -> ComposeResult:
        what = "a file or a folder" if self.either else "a folder" if self.folders else "a file"
        with Vertical(id="picker"):
            yield Label(f"Choose {what}: arrows and enter to open, ctrl+s to choose, or type a path")
            yield Input(str(self.root), id="picker-path")
            yield DirectoryTree(str(self.root), id="picker-tree")

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        if self.folders:
            self.query_one(Input).value = str(event.path.parent)
        else:
            self.dismiss(str(event.path))

    def on_directory_tree_directory_selected(self, event: DirectoryTree.DirectorySelected) -> None:
        self.query_one(Input).value = str(event.path)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_choose(self) -> None:
        self.dismiss(self.query_one(Input).value)

    def action_cancel(self) -> None:
        self.dismiss(None)

"""The newest sample grid or stylised image, drawn in the terminal.

textual-image picks the terminal's best protocol (sixel, kitty graphics)
and falls back to coloured half-blocks; tests ask for half-blocks so
snapshots do not depend on the terminal.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label
from textual_image.widget import HalfcellImage, Image

from artgen.images import UnusableImage, open_image

__all__ = ["Preview"]


class Preview(Vertical):
    def __init__(self, *, halfcell: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self._image_class = HalfcellImage if halfcell else Image
        self.path: str | None = None

    def compose(self) -> ComposeResult:
        yield Label("no preview yet", id="preview-caption")
        yield self._image_class(id="preview-image")

    def clear(self) -> None:
        self.path = None
        self.query_one("#preview-image").image = None
        self.query_one("#preview-caption", Label).update("no preview yet")

    def show(self, path: str, caption: str = "") -> None:
        """Load ``path`` into memory (it may be replaced on disk at any moment) and draw it."""
        if path == self.path:
            return
        try:
            with open_image(path) as opened:
                picture = opened.convert("RGB")
        except UnusableImage:
            return  # a half-visible file: the next preview event will bring a whole one
        self.path = path
        self.query_one("#preview-image").image = picture
        self.query_one("#preview-caption", Label).update(caption or path)

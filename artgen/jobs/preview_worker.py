"""The child process behind the style form's preview: the fast network, loaded once, painting on request.

Run as ``python -m artgen.jobs.preview_worker FOLDER`` by
:class:`artgen.jobs.preview.PreviewWorker`: one JSON request a line on
stdin, one JSON answer a line on stdout (a PNG written into FOLDER, or the
one line that says why not), until stdin ends, which is when the studio
closes or goes away.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import TextIO

from PIL import Image

from artgen.errors import ArtgenError, InputError
from artgen.jobs.devices import use_device
from artgen.jobs.preview import PreviewAnswer, PreviewRequest
from artgen.jobs.worker import use_settings

__all__ = ["main", "serve", "PreviewPainter"]

KEPT = 2  # previews kept in the folder: the newest, and the one before while the studio may still read it
PAINTINGS_KEPT = 8  # decoded paintings kept for the next request (reading a large painting takes a while)


class PreviewPainter:
    """Paints previews into ``folder``: numbered PNGs, of which the last :data:`KEPT` are kept."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self._paintings: dict[tuple[str, int, int], Image.Image] = {}

    def answer(self, line: str) -> PreviewAnswer:
        started = time.perf_counter()
        try:
            path = self._paint(PreviewRequest.from_json(line))
        except ArtgenError as exc:
            return PreviewAnswer(error=str(exc), seconds=time.perf_counter() - started)
        except (ValueError, KeyError, TypeError) as exc:  # a request this worker cannot read
            return PreviewAnswer(error=f"unreadable request: {exc}")
        return PreviewAnswer(path=str(path), seconds=time.perf_counter() - started)

    def _paint(self, request: PreviewRequest) -> Path:
        from artgen import images
        from artgen.style.config import StyleConfig

        config = StyleConfig(
            content=request.content,
            styles=request.styles,
            method="fast",
            strength=request.strength,
            style_blend=request.style_blend,
            preserve_colors=request.preserve_colors,
            size=request.size,
            backend=request.backend,
            max_pixels=request.max_pixels,
        )
        use_settings(config)  # the backend before the first request's import of Keras
        from artgen.style.fast import start_picture
        from artgen.style.pictures import fit_size, load_image

        if config.is_batch():
            raise InputError("no preview for a folder of photos")
        content = load_image(config.content, config.size)
        paintings = [self._painting(path) for path in config.styles]
        picture = start_picture(config, content, paintings, fit_size(*content.size, config.size))
        self.count += 1
        path = self.folder / f"preview-{self.count}.png"
        images.save_png(path, picture)
        (self.folder / f"preview-{self.count - KEPT}.png").unlink(missing_ok=True)
        return path

    def _painting(self, path: str) -> Image.Image:
        """A painting as the fast method reads it, decoded again only when its file has changed."""
        from artgen.style.fast import STYLE_READ_SIDE
        from artgen.style.pictures import load_image

        try:
            stat = os.stat(path)
        except OSError:
            return load_image(path, STYLE_READ_SIDE)  # its own one-line refusal
        key = (path, stat.st_mtime_ns, stat.st_size)
        if key not in self._paintings:
            if len(self._paintings) >= PAINTINGS_KEPT:
                self._paintings.pop(next(iter(self._paintings)))
            self._paintings[key] = load_image(path, STYLE_READ_SIDE)
        return self._paintings[key]


def serve(requests: TextIO, answers: TextIO, painter: PreviewPainter) -> None:
    for line in requests:
        answers.write(painter.answer(line).to_json() + "\n")
        answers.flush()


def main(argv: list[str] | None = None) -> int:
    folder = Path((argv if argv is not None else sys.argv[1:])[0])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the studio, which closes this
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a library's print lands in the log, not the answers
    use_device("cpu")  # the GPUs are the jobs'; one pass at preview size is quick on a CPU
    serve(sys.stdin, answers, PreviewPainter(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())

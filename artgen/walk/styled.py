"""Stylised walks: a walk's frames painted by the style engine's frame painter as they stream past.

Frames are painted in order, each from the last one's result
(:class:`artgen.style.sequence.FramePainter`), so neighbouring frames keep
their brush strokes. A loop has no first frame, though, and the painter's
memory is long: frame 0, painted cold, and frame n-1, painted after a long
chain, would not match (starting frame 0 from a run-in over the last frames
was tried: the seam then flickered 5 times as much as other frame pairs).
So the loop is closed the way the chain runs: the first few frames are held
back (a constant handful, never the whole walk), and after frame n-1 they
are painted again, continuing from n-1's result, and cross-faded into the
held paintings, from all-new to all-held. The file then starts at frame
``CLOSE`` and ends with the cross-faded frames 0 .. CLOSE-1: the same loop,
entered at another frame, with no seam.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from artgen.events import OnEvent, ShouldStop
from artgen.style.config import StyleConfig
from artgen.walk.config import STYLE_SCALES, WalkConfig

__all__ = ["StyledFrames", "CLOSE"]

CLOSE = 6  # frames painted twice and cross-faded to close the loop (at most a quarter of the walk)


class StyledFrames:
    """The walk's frames painted, in batches as the walk's writers take them; flicker measured as written."""

    def __init__(
        self,
        config: WalkConfig,
        render: Callable[[np.ndarray], np.ndarray],
        frame_size: tuple[int, int],
        on_event: OnEvent,
        should_stop: ShouldStop,
    ) -> None:
        from artgen.style.engine import _style_side, load_image
        from artgen.style.sequence import Flicker, FramePainter

        width, height = frame_size
        self.config, self.render = config, render
        self.style_config = StyleConfig(
            content="latent walk",
            styles=(config.style,),
            size=max(width, height),
            iterations=config.style_iterations,
            scales=STYLE_SCALES,
            style_weight=config.style_weight,
            temporal_weight=config.temporal_weight,
            frame_iterations=config.frame_iterations,
            preview_every=0,
        )
        self.styles = [load_image(config.style, _style_side(self.style_config))]
        self.close = min(CLOSE, config.frames // 4) if config.temporal_weight > 0 else 0
        self.painter = FramePainter(
            self.style_config, self.styles, frame_size, config.frames + self.close, on_event, should_stop
        )
        self.written = Flicker()  # over the frames in the order they are written
        self.first: tuple[np.ndarray, np.ndarray] | None = None  # (input, output) first written, for the seam
        self.last: tuple[np.ndarray, np.ndarray] | None = None
        self.stopped = False

    def batches(self, per_batch: int) -> Iterator[np.ndarray]:
        """(n, H, W, 3) painted batches of the whole loop; on a stop they end and :attr:`stopped` is set."""
        frames, close = self.config.frames, self.close
        held: list[np.ndarray] = []
        for start in range(0, frames, per_batch):
            indices = np.arange(start, min(start + per_batch, frames))
            out = []
            for index, frame in zip(indices, self.render(indices), strict=True):
                picture = self.painter.paint(frame)
                if picture is None:
                    self.stopped = True
                    return
                if index < close:
                    held.append(picture)
                else:
                    out.append(self._written(frame, picture))
            if out:
                yield np.stack(out)
        if not close:
            return
        out = []
        for index, frame in enumerate(self.render(np.arange(close))):
            picture = self.painter.paint(frame)  # continues from frame n-1 (then 0, 1, ...)
            if picture is None:
                self.stopped = True
                return
            held_share = (index + 1) / (close + 1)
            blend = (1 - held_share) * picture.astype(np.float32) + held_share * held[index]
            out.append(self._written(frame, np.clip(blend + 0.5, 0, 255).astype(np.uint8)))
        yield np.stack(out)

    def _written(self, frame: np.ndarray, picture: np.ndarray) -> np.ndarray:
        self.written.add(frame, picture)
        if self.first is None:
            self.first = (frame, picture)
        self.last = (frame, picture)
        return picture

    def palette_sample(self, first: np.ndarray) -> np.ndarray:
        """Pictures that choose a GIF's palette: the first painted frame and the painting at its size."""
        from PIL import Image

        height, width = first.shape[:2]
        style = np.asarray(self.styles[0].resize((width, height), Image.Resampling.LANCZOS))
        return np.stack([first, style])

    @property
    def flicker(self) -> float | None:
        """Output over input frame-to-frame change, over the frames as written."""
        return self.written.ratio

    @property
    def seam_flicker(self) -> float | None:
        """The same across the file's end (last frame written -> first), to compare with :attr:`flicker`."""
        from artgen.style.sequence import mean_change

        if self.first is None or self.last is None:
            return None
        change_in = mean_change(self.first[0], self.last[0])
        return mean_change(self.first[1], self.last[1]) / change_in if change_in > 0 else None

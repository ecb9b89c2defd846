"""Stylised walks: a walk's frames painted by the style engine's frame painter as they stream past.

Frames are painted in order, each from the last one's result
(:class:`artgen.style.sequence.FramePainter`), so neighbouring frames keep
their brush strokes. A loop has no first frame, though: painted from a cold
start, frame 0 would not follow on from the last frame. So the painter runs
in over the walk's last few frames first (painted, not written), and frame
0 starts from the result of the last of them: the seam is crossed the way
every other pair of frames is. ``benchmarks/style_animation.py`` measures the
seam's flicker against the frame-to-frame flicker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from artgen.events import OnEvent, ShouldStop
from artgen.style.config import StyleConfig
from artgen.walk.config import STYLE_SCALES, WalkConfig

__all__ = ["StyledFrames", "RUN_IN"]

RUN_IN = 3  # the walk's last frames painted before frame 0, so that frame 0 follows on from them


class StyledFrames:
    """The walk's frames painted, in batches as the walk's writers take them; figures kept as it goes."""

    def __init__(
        self,
        config: WalkConfig,
        render: Callable[[np.ndarray], np.ndarray],
        frame_size: tuple[int, int],
        on_event: OnEvent,
        should_stop: ShouldStop,
    ) -> None:
        from artgen.style.engine import _style_side, load_image
        from artgen.style.sequence import FramePainter

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
        self.run_in = min(RUN_IN, config.frames - 1) if config.temporal_weight > 0 else 0
        self.painter = FramePainter(
            self.style_config, self.styles, frame_size, config.frames + self.run_in, on_event, should_stop
        )
        self.first: tuple[np.ndarray, np.ndarray] | None = None  # (input, painted) frame 0, for the seam
        self.last: tuple[np.ndarray, np.ndarray] | None = None
        self.stopped = False

    def batches(self, per_batch: int) -> Iterator[np.ndarray]:
        """(n, H, W, 3) painted batches of the whole walk, frame 0 first; on a stop they end and
        :attr:`stopped` is set."""
        from artgen.style.sequence import Flicker

        frames = self.config.frames
        if self.run_in:
            for frame in self.render(np.arange(frames - self.run_in, frames)):
                if self.painter.paint(frame) is None:
                    self.stopped = True
                    return
            self.painter.flicker = Flicker()  # the run-in's pairs are not the walk's
        for start in range(0, frames, per_batch):
            batch = self.render(np.arange(start, min(start + per_batch, frames)))
            painted = []
            for frame in batch:
                picture = self.painter.paint(frame)
                if picture is None:
                    self.stopped = True
                    return
                painted.append(picture)
            painted = np.stack(painted)
            if self.first is None:
                self.first = (batch[0], painted[0])
            self.last = (batch[-1], painted[-1])
            yield painted

    def palette_sample(self, first: np.ndarray) -> np.ndarray:
        """Pictures that choose a GIF's palette: the first painted frame and the painting at its size."""
        from PIL import Image

        height, width = first.shape[:2]
        style = np.asarray(self.styles[0].resize((width, height), Image.Resampling.LANCZOS))
        return np.stack([first, style])

    @property
    def flicker(self) -> float | None:
        return self.painter.flicker.ratio

    @property
    def seam_flicker(self) -> float | None:
        """The flicker of the loop's seam (last frame -> first), to compare with :attr:`flicker`."""
        if self.first is None or self.last is None:
            return None
        from artgen.style.sequence import mean_change

        change_in = mean_change(self.first[0], self.last[0])
        return mean_change(self.first[1], self.last[1]) / change_in if change_in > 0 else None

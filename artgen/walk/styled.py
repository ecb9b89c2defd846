"""Stylised walks: a walk's frames painted by the style engine's frame painter as they stream past.

Frames are painted in order, each from the last one's result
(:class:`artgen.style.sequence.FramePainter`), so neighbouring frames keep
their brush strokes. A loop has no first frame, though, and the painter's
memory is long: frame 0 painted cold and frame 0 painted again after a lap
differ by about 35 levels (mean over pixels, 0-255) on the benchmark's walk,
five times an ordinary frame-to-frame change, and still by 23 levels
24 frames later. So neither starting from a run-in over the last frames nor
repainting a few first frames closes the loop; the difference has to be
walked off over many frames.

So the first ``CLOSE`` frames are held back, as the painter's own results
(a constant handful, never the whole walk), and after frame n-1 they are
painted again, continuing the chain, each starting from its previous result
steered part of the way to the held chain's (in the optimisation's start and
temporal target, so every frame is still a painting, not a blend of two).
The steering is paced by the input's own change, so the closing frames change
most where the walk does; the last closing frame starts from the held chain
outright, and the file's first frame, ``CLOSE``, follows it as it followed in
the first lap. The file starts at frame ``CLOSE`` and ends with the repainted
frames 0 .. CLOSE-1: the same loop, entered at another frame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from artgen.events import OnEvent, ShouldStop
from artgen.style.config import StyleConfig
from artgen.walk.config import STYLE_SCALES, WalkConfig

__all__ = ["StyledFrames", "CLOSE", "closing_shares"]

# frames painted twice to close the loop (at most a third of the walk): the painter's memory
# needs many; 16 measured best within the 48-frame walk's time budget (README, "Animations")
CLOSE = 16


def closing_shares(steps: np.ndarray) -> np.ndarray:
    """How far each closing frame is steered onto the held chain: 0 for the first, 1 for the last.

    ``steps[j - 1]`` is the input's change into closing frame j (j = 1 .. k-1);
    each frame takes a part of the way in proportion to it, so the difference
    between the two chains is walked off where the picture moves anyway.
    """
    steps = np.asarray(steps, np.float64)
    if not steps.size:
        return np.zeros(1)  # one closing frame: nothing to steer it from
    if steps.sum() <= 0:
        steps = np.ones_like(steps)
    return np.concatenate([[0.0], np.cumsum(steps) / steps.sum()])


class _PairFlicker:
    """Per-pair flicker (output change over input change) of written frames: mean, spread and largest."""

    def __init__(self) -> None:
        self.count, self.mean, self.squares, self.largest = 0, 0.0, 0.0, 0.0

    def add(self, ratio: float) -> None:
        self.count += 1
        delta = ratio - self.mean
        self.mean += delta / self.count
        self.squares += delta * (ratio - self.mean)
        self.largest = max(self.largest, ratio)

    @property
    def spread(self) -> float:
        return (self.squares / self.count) ** 0.5 if self.count else 0.0


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
        self.close = min(CLOSE, config.frames // 3) if config.temporal_weight > 0 else 0
        self.painter = FramePainter(
            self.style_config, self.styles, frame_size, config.frames + self.close, on_event, should_stop
        )
        self.written = Flicker()  # over the frames in the order they are written
        self.ordinary = _PairFlicker()  # pairs of the first lap's frames
        self.closing = _PairFlicker()  # pairs from the lap's last frame through the file's seam
        self.first: tuple[np.ndarray, np.ndarray] | None = None  # (input, output) first written, for the seam
        self.last: tuple[np.ndarray, np.ndarray] | None = None
        self.stopped = False

    def batches(self, per_batch: int) -> Iterator[np.ndarray]:
        """(n, H, W, 3) painted batches of the whole loop; on a stop they end and :attr:`stopped` is set."""
        frames, close = self.config.frames, self.close
        held: list[np.ndarray] = []  # the first lap's painter results of frames 0 .. close-1
        for start in range(0, frames, per_batch):
            indices = np.arange(start, min(start + per_batch, frames))
            out = []
            for index, frame in zip(indices, self.render(indices), strict=True):
                picture = self.painter.paint(frame)
                if picture is None:
                    self.stopped = True
                    return
                if index < close:
                    held.append(self.painter.previous[1])
                else:
                    out.append(self._written(frame, picture, self.ordinary))
            if out:
                yield np.stack(out)
        if not close:
            self._seam()
            return
        from artgen.style.sequence import mean_change

        inputs = self.render(np.arange(close))
        shares = closing_shares([mean_change(inputs[j], inputs[j - 1]) for j in range(1, close)])
        out = []
        for index, frame in enumerate(inputs):  # continues from frame n-1 (then 0, 1, ...)
            if index:
                left = 1 - shares[index - 1]
                step = (shares[index] - shares[index - 1]) / left if left > 0 else 1.0
                content_in, result = self.painter.previous
                self.painter.previous = (content_in, (1 - step) * result + step * held[index - 1])
            picture = self.painter.paint(frame)
            if picture is None:
                self.stopped = True
                return
            out.append(self._written(frame, picture, self.closing))
        self._seam()
        yield np.stack(out)

    def _written(self, frame: np.ndarray, picture: np.ndarray, pairs: _PairFlicker) -> np.ndarray:
        self.written.add(frame, picture)
        if self.first is None:
            self.first = (frame, picture)
        else:
            self._pair(self.last, (frame, picture), pairs)
        self.last = (frame, picture)
        return picture

    def _seam(self) -> None:
        """The file's own seam, last frame written -> first, counted with the closing pairs."""
        self._pair(self.last, self.first, self.closing)

    @staticmethod
    def _pair(before, after, pairs: _PairFlicker) -> None:
        from artgen.style.sequence import mean_change

        if before is None or after is None:
            return
        change_in = mean_change(after[0], before[0])
        if change_in > 0:
            pairs.add(mean_change(after[1], before[1]) / change_in)

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
    def flicker_pairs(self) -> tuple[float, float, float] | None:
        """Per-pair flicker of the first lap's frame pairs: (mean, standard deviation, largest)."""
        pairs = self.ordinary
        return (pairs.mean, pairs.spread, pairs.largest) if pairs.count else None

    @property
    def seam_flicker(self) -> float | None:
        """The largest per-pair flicker where the loop closes: lap's end, repainted frames, file's seam."""
        return self.closing.largest if self.closing.count else None

"""Stylised walks: a walk's frames painted by the style engine's frame painter as they stream past.

Frames are painted in order, each from the last one's result
(:class:`artgen.style.sequence.FramePainter`), so neighbouring frames keep
their brush strokes. A loop has no first frame, though, and the painter's
memory is long: on the benchmark's walk, frame 0 painted cold and frame 0
painted again after a lap differ by 35 levels (mean over pixels, of 0-255),
five times an ordinary frame-to-frame change, and the two chains still
differ by 22 levels 24 frames on. So neither a run-in over the last frames
nor a short cross-fade closes the loop: the difference has to be walked off
over many frames, and where the picture changes anyway.

So the first ``CLOSE`` frames are held back (a fixed number, never the whole
walk), and after frame n-1 the chain goes on painting them again. Each
of these closing frames is, pixel by pixel, the point between the new
painting and the held one that is nearest the frame before it, but at least
a share of the way to the held one that grows with the input's own change to
1 at the last (:func:`closing_floors`): a pixel moves over to the held chain
while the walk moves it anyway, rarely more than an ordinary step. The last
closing frame is the held one, which the file's first frame, ``CLOSE``,
followed in the first lap: the file starts there and ends with the closing
frames 0 .. CLOSE-1, the same loop entered at another frame, with no seam.
Handing the closing frames back to the painter as its next start (so the
chain itself turns towards the held one) kept their scores at the first
lap's, but the chain then turned within a few frames: pairs up to 1.19.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from artgen.events import OnEvent, ShouldStop
from artgen.style.config import StyleConfig
from artgen.walk.config import STYLE_SCALES, WalkConfig

__all__ = ["StyledFrames", "CLOSE", "closing_floors", "closing_frame"]

# frames painted twice to close the loop (at most half the walk): the painter's memory needs
# many; 24 met the target on the 48-frame benchmark walk within its time target (docs/benchmarks.md)
CLOSE = 24


def closing_floors(steps: np.ndarray) -> np.ndarray:
    """The least share of the way to the held chain for each closing frame: 0 first, 1 last.

    ``steps[j - 1]`` is the input's change into closing frame j (j = 1 .. k-1);
    the floor rises in proportion to it, so no pixel is left to jump at the end.
    """
    steps = np.asarray(steps, np.float64)
    if not steps.size:
        return np.ones(1)  # one closing frame: the held one
    if steps.sum() <= 0:
        steps = np.ones_like(steps)
    return np.concatenate([[0.0], np.cumsum(steps) / steps.sum()])


def closing_frame(new: np.ndarray, held: np.ndarray, before: np.ndarray, floor: float) -> np.ndarray:
    """Per pixel and channel: the point between ``new`` and ``held`` nearest ``before``.

    At least ``floor`` of the way to ``held``: the frame changes no more than
    it must, and the share still to go shrinks to nothing by the last frame.
    """
    new = new.astype(np.float32)
    gap = held.astype(np.float32) - new
    share = np.ones_like(gap)
    np.divide(before - new, gap, out=share, where=np.abs(gap) >= 0.5)
    picture = new + np.clip(share, floor, 1.0) * gap
    return np.clip(picture + 0.5, 0, 255).astype(np.uint8)


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
        from artgen.style.pictures import load_image, style_side
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
        side = style_side(self.style_config.size, self.style_config.style_scale)
        self.styles = [load_image(config.style, side)]
        self.close = min(CLOSE, config.frames // 2) if config.temporal_weight > 0 else 0
        self.painter = FramePainter(
            self.style_config,
            self.styles,
            frame_size,
            config.frames + max(self.close - 1, 0),
            on_event,
            should_stop,
            follow_motion=False,  # a walk morphs in place: following its flow flickered 2.6x as much
            stage=self._stage,
        )
        # over the frames in the order they are written; only the raw ratio is reported for a walk
        self.written = Flicker(along_flow=False)
        self.ordinary = _PairFlicker()  # pairs of the first lap's frames
        self.closing = _PairFlicker()  # pairs from the lap's last frame through the file's seam
        self.first: tuple[np.ndarray, np.ndarray] | None = None  # (input, output) first written, for the seam
        self.last: tuple[np.ndarray, np.ndarray] | None = None
        self.stopped = False

    def _stage(self, painted: int) -> str:
        """Progress in the walk's own frames: the lap, then the frames painted again to close the loop."""
        frames = self.config.frames
        if painted < frames:
            return f"frame {painted + 1}/{frames}"
        return f"closing the loop {painted - frames + 1}/{self.close - 1}"

    def batches(self, per_batch: int) -> Iterator[np.ndarray]:
        """(n, H, W, 3) painted batches of the whole loop; on a stop they end and :attr:`stopped` is set."""
        frames, close = self.config.frames, self.close
        held: list[np.ndarray] = []  # the first lap's paintings of frames 0 .. close-1
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
                    out.append(self._written(frame, picture, self.ordinary))
            if out:
                yield np.stack(out)
        if close:
            closing = self._closing(held)
            if closing is None:
                return
            yield closing
        self._pair(self.last, self.first, self.closing)  # the file's own seam: last written -> first

    def _closing(self, held: list[np.ndarray]) -> np.ndarray | None:
        """Frames 0 .. close-1 painted again after frame n-1 and walked over onto the held paintings."""
        from artgen.style.sequence import mean_change

        inputs = self.render(np.arange(self.close))
        floors = closing_floors([mean_change(a, b) for a, b in zip(inputs[1:], inputs[:-1], strict=True)])
        out = []
        for index, frame in enumerate(inputs):
            if floors[index] < 1:
                new = self.painter.paint(frame)  # continues from frame n-1 (then 0, 1, ...)
                if new is None:
                    self.stopped = True
                    return None
                picture = closing_frame(new, held[index], self.last[1], floors[index])
            else:
                picture = held[index]  # the last: the first lap's own, which the file's first frame follows
            out.append(self._written(frame, picture, self.closing))
        return np.stack(out)

    def _written(self, frame: np.ndarray, picture: np.ndarray, pairs: _PairFlicker) -> np.ndarray:
        self.written.add(frame, picture)
        if self.first is None:
            self.first = (frame, picture)
        else:
            self._pair(self.last, (frame, picture), pairs)
        self.last = (frame, picture)
        return picture

    @staticmethod
    def _pair(
        before: tuple[np.ndarray, np.ndarray] | None,
        after: tuple[np.ndarray, np.ndarray] | None,
        pairs: _PairFlicker,
    ) -> None:
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

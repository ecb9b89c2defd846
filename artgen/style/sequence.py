"""Painting animations without flicker: ``stylise_clip`` for clips, :class:`FramePainter` for any frames.

Painted one by one, the frames of a clip flicker: each optimisation settles
on its own arrangement of brush strokes. Here the first frame is painted as
a still is (coarse to fine, ``--iterations`` at each scale); every later
frame starts from the previous frame's *result* moved along the input's
dense optical flow (:mod:`artgen.style.flow`), with the input's own
remaining change added, and optimises for a few steps
(``--frame-iterations``) at full size with a temporal term
(:func:`artgen.style.losses.temporal_loss`) that holds it to that moved
painting wherever the flow is trusted and the moved input matches the new
frame (Ruder et al.'s method, "Artistic style transfer for videos"). Pixels
that just came into view, were hidden behind something or changed by
themselves are free. ``--temporal-weight 0`` paints every frame on its own
from a cold start, the flickering baseline the benchmark compares against.

Flicker is measured as it goes: the mean absolute difference of consecutive
output frames over that of the input frames (1: the output changes as much
as the input does), and the same for the output's change that the input's
motion does not explain (:class:`Flicker`).
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from artgen import images, runs, vgg
from artgen.errors import InputError
from artgen.events import Message, Metrics, OnEvent, Preview, ShouldStop, ignore_events, never_stop
from artgen.style import color, flow, memory, optimizers
from artgen.style.clips import Clip, hold_clip_outputs, write_clip
from artgen.style.config import StyleConfig
from artgen.style.engine import next_start, start_picture
from artgen.style.losses import Weights, content_target, targets_for
from artgen.style.optimise import Segment, Tracker, optimise
from artgen.style.pictures import PREVIEW_NAME, StyleResult, fit_size, load_image, resized, style_side

__all__ = ["SequenceResult", "Flicker", "FramePainter", "Previews", "stylise_clip", "mean_change"]

CHANGE_LEVELS = 12.0  # where the moved input misses the new frame by this many levels (0-255), weight e^-1
PREVIEW_SECONDS = 1.0  # previews of the newest frame at most this often


@dataclass(frozen=True)
class SequenceResult(StyleResult):
    """A stylised clip: :class:`StyleResult` plus the clip's frame count, rate and figures."""

    frame_count: int = 0  # frames written
    fps: float | None = None
    flicker: float | None = None  # output / input mean consecutive-frame difference
    warped_flicker: float | None = None  # the same with the output's previous frame moved along the flow
    score: float | None = None  # mean over frames of content + style + tv, the still's loss
    stats: Path | None = None  # OUT.json with these figures


class Flicker:
    """Running consecutive-frame differences of the input and the output, and their ratios.

    :attr:`ratio` is the plain measure: how much the output changes from
    frame to frame against how much the input does. Where the camera moves,
    a painting that follows it perfectly changes as much as the photo does
    or more (its strokes have more contrast), so :attr:`warped_ratio` also
    counts the output's change *along the input's motion*: |out_t - warped
    out_t-1| where the flow is trusted, over the same input change.
    ``along_flow=False`` leaves that figure out, and with it the optical flow
    it needs for frames whose motion is not given (two DIS flows a frame).
    """

    def __init__(self, along_flow: bool = True) -> None:
        self.along_flow = along_flow
        self.input_change = self.output_change = self.unexplained_change = 0.0
        self.pairs = 0
        self._last: tuple[np.ndarray, np.ndarray] | None = None

    def add(
        self,
        frame: np.ndarray,
        painted: np.ndarray,
        motion: flow.Motion | None = None,
        moved: np.ndarray | None = None,
    ) -> None:
        """The next frame and its painting; ``motion`` from the last input frame to this one if known,
        and ``moved``, the last painting moved along it, if the caller has that already."""
        if self._last is not None:
            last_frame, last_painted = self._last
            self.input_change += mean_change(frame, last_frame)
            self.output_change += mean_change(painted, last_painted)
            if self.along_flow:
                if motion is None:
                    motion = flow.between(last_frame, frame)
                if moved is None:
                    moved = motion.warp(last_painted)
                self.unexplained_change += _masked_change(painted, moved, motion.confidence)
            self.pairs += 1
        self._last = (frame, painted)

    def figures(self) -> dict[str, float | None]:
        """What a clip's OUT.json records of its flicker: both ratios and the mean changes behind them."""
        pairs = max(self.pairs, 1)
        return {
            "flicker": self.ratio,
            "warped_flicker": self.warped_ratio,
            "input_change": self.input_change / pairs,
            "output_change": self.output_change / pairs,
        }

    @property
    def ratio(self) -> float | None:
        """Mean |out_t - out_t-1| / mean |in_t - in_t-1|; None before two frames or for a still clip."""
        if not self.pairs or self.input_change <= 0:
            return None
        return self.output_change / self.input_change

    @property
    def warped_ratio(self) -> float | None:
        """Mean |out_t - flow-warped out_t-1| (where the flow is trusted) / mean |in_t - in_t-1|."""
        if not self.along_flow or not self.pairs or self.input_change <= 0:
            return None
        return self.unexplained_change / self.input_change


def mean_change(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two frames, in levels of 0-255."""
    return float(np.mean(np.abs(a.astype(np.float32) - b.astype(np.float32))))


def _masked_change(a: np.ndarray, b: np.ndarray, weights: np.ndarray) -> float:
    """:func:`mean_change` over the pixels ``weights`` (H, W) keeps; 0 where it keeps none."""
    kept = float(weights.sum())
    if kept <= 0:
        return 0.0
    difference = np.abs(a.astype(np.float32) - b.astype(np.float32)).mean(axis=-1)
    return float((weights * difference).sum() / kept)


@dataclass
class _Level:
    """One picture size of the schedule, with its style targets and compiled frame objective."""

    size: tuple[int, int]  # (width, height)
    shape: tuple[int, int, int, int]
    objective: object
    content_in: np.ndarray | None = None  # the frame being painted, as VGG sees it (next_start reads it)
    stage: str = ""  # the frame it is painting, for progress


class FramePainter:
    """Paints frames of one animation in order, each from the previous one's result.

    Holds the network, one compiled objective per picture size, and the last
    frame's input and result: memory does not grow with the number of frames.
    ``paint(frame)`` takes (H, W, 3) uint8 frames at ``size`` and returns the
    painted frame, or None when ``should_stop`` asked to stop part way.
    """

    def __init__(
        self,
        config: StyleConfig,
        styles: list[Image.Image],
        size: tuple[int, int],
        total_frames: int,
        on_event: OnEvent = ignore_events,
        should_stop: ShouldStop = never_stop,
        follow_motion: bool = True,
        stage: Callable[[int], str] | None = None,
    ) -> None:
        config = config.settled(clip=True)
        self.config, self.styles, self.size = config, styles, size
        # what the progress calls painting number n (from 0): a frame of a clip, or of a walk's loop
        self.stage = stage or (lambda done: f"frame {done + 1}/{total_frames}")
        self.follow_motion = follow_motion  # False: frames change in place (see flow.still)
        self.on_event, self.should_stop = on_event, should_stop
        self.stable = config.temporal_weight > 0
        self.model = vgg.build_features(config.net)
        self.weights = Weights(config.content_weight, config.style_weight, config.tv_weight)
        self.cold_sides = config.scale_sizes()
        self.levels: dict[int, _Level] = {}
        self.frames_done = 0
        cold = config.iterations * len(self.cold_sides)
        warm = config.frame_iterations if self.stable else cold
        total = cold + warm * max(0, total_frames - 1)
        self.tracker = Tracker(total, on_event, should_stop, metrics=None)  # terms go out once a frame
        self.previous: tuple[np.ndarray, np.ndarray] | None = None  # (content_in, result) of the last frame
        self.motion: flow.Motion | None = None  # from the last frame to this one, once a warm start found it
        self.terms: dict[str, float] = {}
        self.score_sum = 0.0
        self.flicker = Flicker()
        self.stopped = False
        self._luminance_reference: np.ndarray | None = None

    def paint(self, frame: np.ndarray) -> np.ndarray | None:
        """The painted frame (uint8, as ``frame``), or None if stopped before it was done."""
        if frame.shape[1::-1] != self.size:
            frame = np.asarray(Image.fromarray(frame).resize(self.size, Image.Resampling.LANCZOS))
        self.motion = None
        x = self._warm(frame) if self.previous is not None and self.stable else self._cold(frame)
        if x is None:
            return None
        level = self._level(max(self.size))
        painted = self._picture(x, level.shape, frame)
        self.previous = (self._content_in(frame), x)
        self.frames_done += 1
        self.flicker.add(frame, painted, self.motion)
        self.score_sum += sum(self.terms.get(name, 0.0) for name in ("content", "style", "tv"))
        values = {name: value for name, value in self.terms.items() if name != "total"}
        if self.flicker.ratio is not None:
            values["flicker"] = self.flicker.ratio
        self.on_event(Metrics(self.tracker.done, values))
        return painted

    @property
    def score(self) -> float | None:
        """Mean over painted frames of the still picture's loss (content + style + tv): lower is better."""
        return self.score_sum / self.frames_done if self.frames_done else None

    # -- a frame painted as a still: coarse to fine from the configured start --------------------------

    def _cold(self, frame: np.ndarray) -> np.ndarray | None:
        levels = [self._level(long_side) for long_side in self.cold_sides]
        for level in levels:
            level.content_in = self._content_in(_resized_array(frame, level.size))

        def start(level: _Level) -> np.ndarray:
            self._set_frame(level, None, None)
            return start_picture(self.config, level, self.styles)

        def refine(x: np.ndarray, previous: _Level, level: _Level) -> np.ndarray:
            self._set_frame(level, None, None)
            return next_start(self.config, x, previous, level)

        return self._optimise(levels, start, refine, self.config.iterations)

    # -- a later frame: the last result, moved along the flow, plus the temporal term ---------------

    def _warm(self, frame: np.ndarray) -> np.ndarray | None:
        level = self._level(max(self.size))
        content_in = self._content_in(frame)
        level.content_in = content_in
        before, result = self.previous
        previous = vgg.deprocess(result.reshape(level.shape)).astype(np.float32)
        if self.follow_motion:
            self.motion = motion = flow.between(before, content_in)
        else:
            self.motion = motion = flow.still(*content_in.shape[:2])
        moved_in, moved_out = motion.warp(before), motion.warp(previous)
        change = np.mean(np.abs(content_in - moved_in), axis=-1)
        mask = motion.confidence * np.exp(-np.square(change / CHANGE_LEVELS))
        start = moved_out + (content_in - moved_in)
        x0 = vgg.preprocess(np.clip(start, 0, 255)).ravel()
        self._set_frame(level, vgg.preprocess(moved_out).ravel(), mask[None, ..., None])
        return self._optimise([level], lambda level: x0, next_start, self.config.frame_iterations)

    # -- shared pieces ---------------------------------------------------------------------------

    def _content_in(self, frame: np.ndarray) -> np.ndarray:
        """The frame as the losses see it: itself, or its luminance with ``--preserve-colors``."""
        rgb = frame.astype(np.float32)
        return color.luminance_image(rgb).astype(np.float32) if self.config.preserve_colors else rgb

    def _level(self, long_side: int) -> _Level:
        """The schedule's level for ``long_side``: style targets computed once per clip and size."""
        if long_side in self.levels:
            return self.levels[long_side]
        from artgen.style.objective import FrameObjective

        config = self.config
        size = fit_size(*self.size, long_side)
        side_of_style = style_side(long_side, config.style_scale)
        styles = [resized(style, fit_size(*style.size, side_of_style)) for style in self.styles]
        if config.preserve_colors:
            if self._luminance_reference is None:
                raise RuntimeError("the first frame sets the luminance the styles are matched to")
            reference = _resized_array(self._luminance_reference, size)
            styles = [color.match_luminance(style, reference) for style in styles]
        shape = (1, size[1], size[0], 3)
        targets = targets_for(
            self.model,
            np.zeros(shape, np.float32),
            [vgg.preprocess(style) for style in styles],
            config.blend(),
            tuple(vgg.STYLE_LAYERS.values()),
        )
        objective = FrameObjective(self.model, targets, self.weights, shape, config.temporal_weight)
        self.levels[long_side] = _Level(size, shape, objective)
        return self.levels[long_side]

    def _set_frame(self, level: _Level, previous: np.ndarray | None, mask: np.ndarray | None) -> None:
        features, norm = content_target(self.model, vgg.preprocess(level.content_in))
        level.objective.set_frame(features, norm, previous, mask)

    def _optimise(self, levels: list[_Level], start, refine, iterations: int) -> np.ndarray | None:
        """The loop over ``levels`` for this frame; None when a stop was asked part way."""
        base = self.tracker.done
        stage = self.stage(self.frames_done)
        for level in levels:
            level.stage = stage
        outcome = optimise(
            levels,
            start,
            refine,
            lambda level, x: [Segment(optimizers.Best(level.objective), iterations)],
            self.tracker,
            optimizer=self.config.optimizer,
            advice="try smaller --style-weight or --temporal-weight",
            describe=False,
        )
        # L-BFGS may settle early: the budget is spent all the same
        self.tracker.done = base + iterations * len(levels)
        if outcome.stopped:
            self.stopped = True
            return None
        self.terms = dict(outcome.best.terms)
        return outcome.x

    def _picture(self, x: np.ndarray, shape: tuple[int, ...], frame: np.ndarray) -> np.ndarray:
        rgb = vgg.deprocess(x.reshape(shape))
        return color.with_chroma_of(rgb, frame.astype(np.float32)) if self.config.preserve_colors else rgb

    def start_luminance(self, frame: np.ndarray) -> None:
        """With ``--preserve-colors``: the frame whose luminance the styles are matched to (the first)."""
        self._luminance_reference = color.luminance_image(frame.astype(np.float32)).astype(np.float32)


def _resized_array(picture: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if picture.shape[1::-1] == tuple(size):
        return picture.astype(np.float32)
    planes = [
        np.asarray(
            Image.fromarray(picture[..., c].astype(np.float32), "F").resize(size, Image.Resampling.LANCZOS)
        )
        for c in range(3)
    ]
    return np.stack(planes, axis=-1)


def stylise_clip(
    config: StyleConfig,
    clip: Clip,
    on_event: OnEvent = ignore_events,
    should_stop: ShouldStop = never_stop,
) -> SequenceResult:
    """Paint every frame of ``clip`` and write the same kind of animation; a stop writes what is done.

    The output's name and its figures' are held from the start until both are in place.
    """
    with contextlib.ExitStack() as held:
        return _stylise_clip(config.settled(clip=True), clip, on_event, should_stop, held)


def _stylise_clip(
    config: StyleConfig, clip: Clip, on_event: OnEvent, should_stop: ShouldStop, held: contextlib.ExitStack
) -> SequenceResult:
    """:func:`stylise_clip`, its outputs' names held in ``held`` until it returns."""
    started = time.perf_counter()
    out, stats = hold_clip_outputs(clip, config.out, config.styles, config.overwrite, held)
    size = fit_size(*clip.size, config.size)
    styles = [load_image(path, style_side(config.size, config.style_scale)) for path in config.styles]
    on_event(Message(f"{clip.describe()}; painting at {size[0]}x{size[1]}"))
    if clip.skipped:
        on_event(Message(images.describe_skipped(list(clip.skipped)), "warning"))
    core, _, needed = memory.plan(config, size)
    if core:
        raise InputError(f"frames of {size[0]}x{size[1]} px do not fit in memory whole; use a smaller --size")
    on_event(Message(f"loading {config.net.upper()} features; {needed.describe()}"))
    painter = FramePainter(config, styles, size, clip.count, on_event, should_stop)
    work = Path(config.work_dir) if config.work_dir else Path(tempfile.mkdtemp(prefix="artgen-clip-"))
    previews = Previews(work, on_event, clip.count)
    frames = clip.frames()
    first_frame = _fit(next(frames), size)
    if config.preserve_colors:
        painter.start_luminance(first_frame)
    first = painter.paint(first_frame)
    if first is None:
        frames.close()
        on_event(Message(f"stopped before the first frame was painted; {out} was not written", "warning"))
        return SequenceResult(out=out, losses={}, size=size, iterations=0, seconds=0.0, stopped=True)
    previews.show(first, 1)

    def painted() -> Iterator[np.ndarray]:
        for index, frame in enumerate(frames, start=2):
            result = painter.paint(_fit(frame, size))
            if result is None:
                return
            previews.show(result, index)
            yield result

    palette = [first, *(_resized_array(np.asarray(s), size).astype(np.uint8) for s in styles)]
    try:
        written = write_clip(clip, out, painted(), first, palette)
    finally:
        frames.close()  # a stop leaves the reader part way: close the file now, not at collection
    if painter.stopped:
        on_event(Message(f"stopped: wrote the {written} of {clip.count} frames painted so far", "warning"))
    figures = {
        "frames": written,
        "of": clip.count,
        "fps": clip.fps,
        "size": list(size),
        **painter.flicker.figures(),
        "score": painter.score,
        "temporal_weight": config.temporal_weight,
        "frame_iterations": config.frame_iterations,
        "seconds": round(time.perf_counter() - started, 2),
    }
    runs.write_json(stats, figures)
    if not config.work_dir:
        previews.remove()
    return SequenceResult(
        out=out,
        losses=painter.terms,
        size=size,
        iterations=painter.tracker.done,
        seconds=time.perf_counter() - started,
        stopped=painter.stopped,
        frame_count=written,
        fps=clip.fps,
        flicker=painter.flicker.ratio,
        warped_flicker=painter.flicker.warped_ratio,
        score=painter.score,
        stats=stats,
    )


def _fit(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if frame.shape[1::-1] == size:
        return frame
    return np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0))


class Previews:
    """The newest painted frame as a preview, at most once a second, and the result at the end."""

    def __init__(self, work: Path, on_event: OnEvent, total: int) -> None:
        self.work, self.on_event, self.total = work, on_event, total
        self.shown_at = -np.inf

    def show(self, picture: np.ndarray, index: int) -> None:
        now = time.perf_counter()
        if now - self.shown_at < PREVIEW_SECONDS and index < self.total:
            return
        self.shown_at = now
        path = self.work / PREVIEW_NAME
        images.save_png(path, picture, compress_level=1)  # a scratch file, written while the clip waits
        self.on_event(Preview(str(path), caption=f"frame {index}/{self.total}"))

    def remove(self) -> None:
        """The scratch folder artgen made, with its preview; anything else put there keeps it."""
        runs.remove_own(self.work / PREVIEW_NAME, self.work, PREVIEW_NAME)
        runs.remove_empty_dir(self.work, self.work.parent)

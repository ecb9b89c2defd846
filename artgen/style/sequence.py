"""Painting animations without flicker: ``stylise_clip`` for clips, :class:`FramePainter` for any frames.

Painted one by one, the frames of a clip flicker: each optimisation settles
on its own arrangement of brush strokes. Here the first frame is painted as
a still is (coarse to fine, ``--iterations`` at each scale); every later
frame starts from the previous frame's *result*, moved by the clip's global
motion (a phase-correlation estimate of the pan between the input frames)
and with the input's own change added, and optimises for a few steps
(``--frame-iterations``) at full size with a temporal term
(:func:`artgen.style.losses.temporal_loss`): where the input frames agree,
the output must stay what it was. ``--temporal-weight 0`` paints every frame
on its own from a cold start, the flickering baseline the benchmark
compares against.

Flicker is measured as it goes: the mean absolute difference of consecutive
output frames over that of the input frames (1: the output changes as much
as the input does).
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from artgen import images, runs
from artgen.errors import InputError, TrainingDiverged
from artgen.events import Message, Metrics, OnEvent, Preview, Progress, ShouldStop, ignore_events, never_stop
from artgen.style import color, optimizers, vgg
from artgen.style.clips import Clip, check_clip_out, default_clip_out, stats_path, write_clip
from artgen.style.config import StyleConfig
from artgen.style.engine import (
    MIN_STYLE_SIDE,
    StyleResult,
    _bounds,
    _initial,
    _memory_plan,
    _next_scale,
    _resized,
    _style_side,
    fit_size,
    load_image,
)
from artgen.style.losses import Weights, content_target, targets_for

__all__ = ["SequenceResult", "Flicker", "FramePainter", "stylise_clip", "mean_change"]

CHANGE_LEVELS = 12.0  # an input change of this many levels (0-255, mean over RGB) frees a pixel to e^-1
MAX_SHIFT_SHARE = 0.25  # a global motion estimate beyond a quarter of the frame is not trusted
PREVIEW_SECONDS = 1.0  # previews of the newest frame at most this often


@dataclass(frozen=True)
class SequenceResult(StyleResult):
    """A stylised clip: :class:`StyleResult` plus the clip's frame count, rate and figures."""

    frame_count: int = 0  # frames written
    fps: float | None = None
    flicker: float | None = None  # output / input mean consecutive-frame difference
    score: float | None = None  # mean over frames of content + style + tv, the still's loss
    stats: Path | None = None  # OUT.json with these figures


class Flicker:
    """Running consecutive-frame differences of the input and the output, and their ratio."""

    def __init__(self) -> None:
        self.input_change = self.output_change = 0.0
        self.pairs = 0
        self._last: tuple[np.ndarray, np.ndarray] | None = None

    def add(self, frame: np.ndarray, painted: np.ndarray) -> None:
        if self._last is not None:
            self.input_change += mean_change(frame, self._last[0])
            self.output_change += mean_change(painted, self._last[1])
            self.pairs += 1
        self._last = (frame, painted)

    @property
    def ratio(self) -> float | None:
        """Mean |out_t - out_t-1| / mean |in_t - in_t-1|; None before two frames or for a still clip."""
        if not self.pairs or self.input_change <= 0:
            return None
        return self.output_change / self.input_change


def mean_change(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two frames, in levels of 0-255."""
    return float(np.mean(np.abs(a.astype(np.float32) - b.astype(np.float32))))


@dataclass
class _Level:
    """One picture size of the schedule, with its style targets and compiled frame objective."""

    size: tuple[int, int]  # (width, height)
    shape: tuple[int, int, int, int]
    objective: object
    content_in: np.ndarray | None = (
        None  # the frame being painted, as VGG sees it (engine._next_scale reads it)
    )


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
    ) -> None:
        self.config, self.styles, self.size = config, styles, size
        self.on_event, self.should_stop = on_event, should_stop
        self.stable = config.temporal_weight > 0
        self.model = vgg.build_features(config.net)
        self.weights = Weights(config.content_weight, config.style_weight, config.tv_weight)
        self.cold_sides = config.scale_sizes()
        self.levels: dict[int, _Level] = {}
        self.frames_done = 0
        self.total_frames = total_frames
        cold = config.iterations * len(self.cold_sides)
        warm = config.frame_iterations if self.stable else cold
        self.total_iterations = cold + warm * max(0, total_frames - 1)
        self.iterations_done = 0
        self.previous: tuple[np.ndarray, np.ndarray] | None = None  # (content_in, result) of the last frame
        self.terms: dict[str, float] = {}
        self.score_sum = 0.0
        self.flicker = Flicker()
        self.stopped = False
        self.started = time.perf_counter()
        self._luminance_reference: np.ndarray | None = None

    def paint(self, frame: np.ndarray) -> np.ndarray | None:
        """The painted frame (uint8, as ``frame``), or None if stopped before it was done."""
        if frame.shape[1::-1] != self.size:
            frame = np.asarray(Image.fromarray(frame).resize(self.size, Image.Resampling.LANCZOS))
        x = self._warm(frame) if self.previous is not None and self.stable else self._cold(frame)
        if x is None:
            return None
        level = self._level(max(self.size))
        painted = self._picture(x, level.shape, frame)
        self.previous = (self._content_in(frame), x)
        self.frames_done += 1
        self.flicker.add(frame, painted)
        self.score_sum += sum(self.terms.get(name, 0.0) for name in ("content", "style", "tv"))
        values = {name: value for name, value in self.terms.items() if name != "total"}
        if self.flicker.ratio is not None:
            values["flicker"] = self.flicker.ratio
        self.on_event(Metrics(self.iterations_done, values))
        return painted

    @property
    def score(self) -> float | None:
        """Mean over painted frames of the still picture's loss (content + style + tv): lower is better."""
        return self.score_sum / self.frames_done if self.frames_done else None

    # -- a frame painted as a still: coarse to fine from the configured start --------------------------

    def _cold(self, frame: np.ndarray) -> np.ndarray | None:
        x, previous = None, None
        for long_side in self.cold_sides:
            level = self._level(long_side)
            level.content_in = self._content_in(_resized_array(frame, level.size))
            if previous is None:
                x = _initial(self.config, level, self.styles)
            else:
                x = _next_scale(self.config, x, previous, level)
            self._set_frame(level, None, None)
            x = self._optimise(level, x, self.config.iterations)
            if x is None:
                return None
            previous = level
        return x

    # -- a later frame: the last result, moved with the clip, plus the temporal term ----------------

    def _warm(self, frame: np.ndarray) -> np.ndarray | None:
        level = self._level(max(self.size))
        content_in = self._content_in(frame)
        level.content_in = content_in
        before, result = self.previous
        previous = vgg.deprocess(result.reshape(level.shape)).astype(np.float32)
        shift = _global_shift(before, content_in)
        moved_in, valid = _shifted(before, shift)
        moved_out, _ = _shifted(previous, shift)
        change = np.mean(np.abs(content_in - moved_in), axis=-1)
        mask = valid * np.exp(-np.square(change / CHANGE_LEVELS))
        start = np.where(valid[..., None] > 0, moved_out + (content_in - moved_in), content_in)
        x0 = vgg.preprocess(np.clip(start, 0, 255)).ravel()
        self._set_frame(level, vgg.preprocess(moved_out).ravel(), mask[None, ..., None])
        return self._optimise(level, x0, self.config.frame_iterations)

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
        style_side = max(MIN_STYLE_SIDE, round(long_side * config.style_scale))
        styles = [_resized(style, fit_size(*style.size, style_side)) for style in self.styles]
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

    def _optimise(self, level: _Level, x0: np.ndarray, iterations: int) -> np.ndarray | None:
        best = optimizers.Best(level.objective)
        base = self.iterations_done
        stage = f"frame {self.frames_done + 1}/{self.total_frames}"

        def on_iteration(iteration: int, terms: dict[str, float]) -> bool:
            self.iterations_done = base + iteration
            elapsed = time.perf_counter() - self.started
            self.on_event(
                Progress(
                    self.iterations_done,
                    self.total_iterations,
                    unit="iteration",
                    rate=self.iterations_done / max(elapsed, 1e-9),
                    rate_unit="it/s",
                    stage=stage,
                )
            )
            return self.should_stop()

        bounds = _bounds(level.shape)
        try:
            if self.config.optimizer == "lbfgs":
                optimizers.lbfgs(best, x0, *bounds, iterations, on_iteration)
            else:
                optimizers.adam(best, x0, *bounds, iterations, on_iteration)
        except FloatingPointError as exc:
            raise TrainingDiverged(f"{exc}; try smaller --style-weight or --temporal-weight") from None
        self.iterations_done = base + iterations  # L-BFGS may settle early: the budget is spent all the same
        if self.should_stop():
            self.stopped = True
            return None
        self.terms = dict(best.terms)
        return np.clip(best.x, *bounds)

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


def _global_shift(before: np.ndarray, after: np.ndarray) -> tuple[int, int]:
    """(dy, dx) such that ``after`` is about ``before`` moved down dy and right dx: a camera pan.

    Phase correlation (the normalised cross-power spectrum's peak); kept only
    when it explains the change better than standing still does, so zooms,
    cuts and moving objects on a still background fall back to no motion.
    """
    a = before.mean(axis=-1) - before.mean()
    b = after.mean(axis=-1) - after.mean()
    cross = np.fft.fft2(b) * np.conj(np.fft.fft2(a))
    correlation = np.fft.ifft2(cross / (np.abs(cross) + 1e-6)).real
    height, width = correlation.shape
    dy, dx = np.unravel_index(int(np.argmax(correlation)), correlation.shape)
    dy, dx = int(dy) - height * (dy > height // 2), int(dx) - width * (dx > width // 2)
    if (dy, dx) == (0, 0) or abs(dy) > height * MAX_SHIFT_SHARE or abs(dx) > width * MAX_SHIFT_SHARE:
        return 0, 0
    moved, valid = _shifted(before, (dy, dx))
    inside = valid > 0
    if np.mean(np.abs(after - moved)[inside]) >= np.mean(np.abs(after - before)[inside]):
        return 0, 0
    return dy, dx


def _shifted(picture: np.ndarray, shift: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """``picture`` moved by (dy, dx), and a (H, W) map of 1 where a pixel came from inside it."""
    dy, dx = shift
    valid = np.ones(picture.shape[:2], np.float32)
    if (dy, dx) == (0, 0):
        return picture, valid
    moved = np.roll(picture, (dy, dx), axis=(0, 1))
    if dy > 0:
        valid[:dy] = 0
    elif dy < 0:
        valid[dy:] = 0
    if dx > 0:
        valid[:, :dx] = 0
    elif dx < 0:
        valid[:, dx:] = 0
    return moved, valid


def stylise_clip(
    config: StyleConfig,
    clip: Clip,
    on_event: OnEvent = ignore_events,
    should_stop: ShouldStop = never_stop,
) -> SequenceResult:
    """Paint every frame of ``clip`` and write the same kind of animation; a stop writes what is done."""
    started = time.perf_counter()
    out = Path(config.out) if config.out else default_clip_out(clip, config.styles)
    check_clip_out(clip, out, config.overwrite)
    size = fit_size(*clip.size, config.size)
    styles = [load_image(path, _style_side(config)) for path in config.styles]
    on_event(Message(f"{clip.describe()}; painting at {size[0]}x{size[1]}"))
    core, _, needed = _memory_plan(config, size, styles)
    if core:
        raise InputError(f"frames of {size[0]}x{size[1]} px do not fit in memory whole; use a smaller --size")
    on_event(Message(f"loading {config.net.upper()} features; {needed.describe()}"))
    painter = FramePainter(config, styles, size, clip.count, on_event, should_stop)
    work = Path(config.work_dir) if config.work_dir else Path(tempfile.mkdtemp(prefix="artgen-clip-"))
    previews = _Previews(work, on_event, clip.count)
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
        "flicker": painter.flicker.ratio,
        "input_change": painter.flicker.input_change / max(painter.flicker.pairs, 1),
        "output_change": painter.flicker.output_change / max(painter.flicker.pairs, 1),
        "score": painter.score,
        "temporal_weight": config.temporal_weight,
        "frame_iterations": config.frame_iterations,
        "seconds": round(time.perf_counter() - started, 2),
    }
    stats = stats_path(out)
    runs.write_json(stats, figures)
    if not config.work_dir:
        previews.remove()
    return SequenceResult(
        out=out,
        losses=painter.terms,
        size=size,
        iterations=painter.iterations_done,
        seconds=time.perf_counter() - started,
        stopped=painter.stopped,
        frame_count=written,
        fps=clip.fps,
        flicker=painter.flicker.ratio,
        score=painter.score,
        stats=stats,
    )


def _fit(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if frame.shape[1::-1] == size:
        return frame
    return np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0))


class _Previews:
    """The newest painted frame as a preview, at most once a second, and the result at the end."""

    def __init__(self, work: Path, on_event: OnEvent, total: int) -> None:
        self.work, self.on_event, self.total = work, on_event, total
        self.shown_at = -np.inf

    def show(self, picture: np.ndarray, index: int) -> None:
        now = time.perf_counter()
        if now - self.shown_at < PREVIEW_SECONDS and index < self.total:
            return
        self.shown_at = now
        path = self.work / "preview.png"
        images.save_png(path, picture)
        self.on_event(Preview(str(path), caption=f"frame {index}/{self.total}"))

    def remove(self) -> None:
        (self.work / "preview.png").unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # someone put something else there; leave it
            self.work.rmdir()

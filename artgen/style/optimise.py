"""The one optimisation loop of style transfer: coarse to fine, each scale starting from the last.

A still picture, a texture, the frames of a clip and a stylised walk all run :func:`optimise`.
They differ only in what they hand it: the levels of the schedule (each with its objective),
the first start, how a coarser result becomes the next start, and what to do after each
iteration (previews, saved frames). The loop owns what they share: the optimiser's choice,
the best-so-far picture, divergence, a stop in the middle of an evaluation, progress and timing.

The picture is a flat Caffe-space vector (:mod:`artgen.vgg`): BGR, mean subtracted,
bounded so that every value is 0-255 before the mean.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import numpy as np
from PIL import Image

from artgen import vgg
from artgen.errors import TrainingDiverged
from artgen.events import Message, Metrics, OnEvent, Progress, ShouldStop
from artgen.style import optimizers
from artgen.style.seamless import fourier_upsample

__all__ = [
    "Level",
    "Segment",
    "Tracker",
    "Outcome",
    "optimise",
    "bounds",
    "upsample",
]

Shape = tuple[int, int, int, int]


def bounds(shape: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Flat float32 (lower, upper): each value of a Caffe-space picture within 0-255 before the mean."""
    lower = np.broadcast_to(-vgg.MEAN_BGR, shape).ravel()
    return lower, lower + np.float32(255)


def upsample(x: np.ndarray, old: Sequence[int], new: Sequence[int], wrap: bool = False) -> np.ndarray:
    """A Caffe-space image resized from shape ``old`` to ``new`` (bicubic, per channel, in float).

    ``wrap``: the image is a tile, enlarged through its Fourier series
    instead, which wraps around and, unlike bicubic, leaves no every-other-line
    pattern (:mod:`artgen.style.seamless`).
    """
    planes = x.reshape(old)[0].astype(np.float32)
    if wrap:
        return fourier_upsample(planes, new[1], new[2]).ravel()
    channels = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(planes[..., c]), "F").resize(
                (new[2], new[1]), Image.Resampling.BICUBIC
            )
        )
        for c in range(3)
    ]
    return np.stack(channels, axis=-1).ravel()


@dataclass
class Segment:
    """One optimiser run: its best-so-far over an objective, and how many iterations it may take.

    ``on_device``: ``best`` is a :class:`optimizers.DeviceBest` over a compiled device loop.
    """

    best: optimizers.Best | optimizers.DeviceBest
    iterations: int
    on_device: bool = False


class Level(Protocol):
    """One size of the schedule, as the loop sees it: the caller's own object, with its shape
    and the stage its progress is reported under."""

    shape: Shape
    stage: str


L = TypeVar("L", bound=Level)


class Timing:
    """Compile time and iteration time, told apart: a level's first iteration pays for compiling."""

    def __init__(self) -> None:
        self.compile_seconds, self.iteration_seconds = 0.0, 0.0
        self.start_level()

    def start_level(self) -> None:
        self.started, self.first, self.first_count, self.count = time.perf_counter(), None, 0, 0

    def iterated(self, count: int) -> float:
        """Record ``count`` iterations done in this level; returns the rate without compiling, in it/s."""
        now = time.perf_counter()
        self.count = count
        if self.first is None:
            self.first, self.first_count = now, count
            return count / max(now - self.started, 1e-9)
        self.iteration_seconds = (now - self.first) / (count - self.first_count)
        return 1 / max(self.iteration_seconds, 1e-9)

    def describe_level(self) -> str:
        if self.first is None:
            return "stopped before the first iteration"
        per = self.iteration_seconds if self.count > self.first_count else 0.0
        compiling = max(0.0, (self.first - self.started) - self.first_count * per)
        self.compile_seconds += compiling
        return (
            f"compiling and first iteration {self.first - self.started:.1f} s, then {per:.2f} s per iteration"
        )


@dataclass
class Tracker:
    """Iterations over a whole job (every level, every frame), reported as they happen.

    ``metrics``: which loss terms go out with each iteration, or None to send none (a clip
    reports its terms once a frame). ``should_stop`` is asked after every iteration.
    """

    total: int
    on_event: OnEvent
    should_stop: ShouldStop
    metrics: Callable[[dict[str, float]], dict[str, float]] | None = dict
    done: int = 0
    round_trips: int = 0
    timing: Timing = field(default_factory=Timing)

    def iterated(self, done: int, in_level: int, terms: dict[str, float], stage: str) -> bool:
        self.done = done
        rate = self.timing.iterated(in_level)
        self.on_event(Progress(done, self.total, unit="iteration", rate=rate, rate_unit="it/s", stage=stage))
        if self.metrics is not None:
            self.on_event(Metrics(done, self.metrics(terms)))
        return self.should_stop()


AfterIteration = Callable[[int, int, optimizers.Best | optimizers.DeviceBest, L], None]


@dataclass
class Outcome:
    """Where the loop ended: the picture (clipped to its bounds), its level and the last segment's best."""

    x: np.ndarray
    level: Level
    best: optimizers.Best | optimizers.DeviceBest
    stopped: bool


def optimise(
    levels: Iterable[L],
    start: Callable[[L], np.ndarray],
    refine: Callable[[np.ndarray, L, L], np.ndarray],
    segments: Callable[[L, np.ndarray], Iterable[Segment]],
    tracker: Tracker,
    *,
    optimizer: str,
    advice: str,
    history: int = optimizers.LBFGS_HISTORY,
    after_iteration: AfterIteration | None = None,
    describe: bool = True,
) -> Outcome:
    """Optimise level after level: the first from ``start``, later ones from ``refine(x, previous, level)``.

    ``segments(level, x)`` gives the optimiser runs of a level that starts at ``x``: its
    objective, and how many iterations each may take (usually one run; a texture restarts
    L-BFGS at new shifts of its tile). ``after_iteration(done, before, best, level)`` runs after
    each iteration (``before``: the count at the previous one), for previews and saved frames.
    ``advice`` ends the one line a diverging loss gives. With ``describe``, each level's timing
    is reported as a message. A stop asked through ``tracker.should_stop`` ends the loop after
    the iteration it was asked in, keeping the best picture so far.
    """
    x: np.ndarray | None = None
    previous: L | None = None
    best: optimizers.Best | optimizers.DeviceBest | None = None
    for level in levels:
        x = start(level) if previous is None or x is None else refine(x, previous, level)
        lower, upper = bounds(level.shape)
        tracker.timing.start_level()
        level_base = tracker.done
        on_device = False
        for segment in segments(level, x):
            best, on_device = segment.best, segment.on_device
            on_iteration = _reporter(tracker, level, best, tracker.done, level_base, after_iteration)
            try:
                if on_device:
                    optimizers.on_device(best, x, segment.iterations, on_iteration)
                elif optimizer == "lbfgs":
                    optimizers.lbfgs(best, x, lower, upper, segment.iterations, on_iteration, history)
                else:
                    optimizers.adam(best, x, lower, upper, segment.iterations, on_iteration)
            except FloatingPointError as exc:
                raise TrainingDiverged(f"{exc}; {advice}") from None
            except optimizers.EvaluationStopped:
                pass  # should_stop() says so below; the evaluations that finished gave best.x
            tracker.round_trips += best.round_trips
            x = np.clip(x if best.x is None else best.x, lower, upper)
            if tracker.should_stop():
                break
        if describe:
            note = " (device loop)" if on_device else ""
            tracker.on_event(Message(f"{level.stage}: {tracker.timing.describe_level()}{note}", "detail"))
        previous = level
        if tracker.should_stop():
            break
    if previous is None or x is None or best is None:
        raise ValueError("optimise needs at least one level with one segment")
    return Outcome(x, previous, best, tracker.should_stop())


def _reporter(
    tracker: Tracker,
    level: L,
    best: optimizers.Best | optimizers.DeviceBest,
    base: int,
    level_base: int,
    after_iteration: AfterIteration | None,
) -> optimizers.OnIteration:
    """The optimiser's per-iteration callback for one segment that starts at iteration ``base``."""

    def on_iteration(count: int, terms: dict[str, float]) -> bool:
        before, done = tracker.done, base + count
        stop = tracker.iterated(done, done - level_base, terms, level.stage)
        if after_iteration is not None:
            after_iteration(done, before, best, level)
        return stop

    return on_iteration

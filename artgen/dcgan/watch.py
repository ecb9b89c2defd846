"""Quality during training: FD/KID of the sampler every few steps, the best so far, collapse alarms.

Backend-free: samples come from the Keras sampler, features from
:mod:`artgen.quality`. Everything the watch decides is a function of the
run's saved state (``quality.json`` beside the checkpoints) and the weights,
so a resumed run judges exactly as an uninterrupted one.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np

from artgen import images as image_io
from artgen import quality, runs
from artgen.dcgan.feed import rng_for
from artgen.events import OnEvent, ignore_events

__all__ = ["Evaluation", "WatchState", "QualityWatch", "judge", "RISES", "DIVERSITY_FLOOR"]

STREAM_EVAL = 4
RISES = 3  # evaluations in a row with a worse FD than the one before
DIVERSITY_FLOOR = 0.5  # sample diversity below this fraction of the data's: collapse
REAL_FACTOR = 4  # real images per generated one in the reference set (at least 512)


@dataclass
class WatchState:
    """What the watch remembers between evaluations (saved as ``quality.json``)."""

    best_fd: float = math.inf
    best_step: int = -1
    recent: list[float] = field(default_factory=list)  # FDs since the last rollback
    peak_diversity: float = 0.0  # the highest relative sample diversity seen
    rollbacks: int = 0
    eval_seconds: float | None = None  # how long the last evaluation took (spaces auto evaluations)


@dataclass(frozen=True)
class Evaluation:
    step: int
    fd: float
    kid: float
    kid_se: float
    diversity: float  # mean pairwise feature distance of the samples, relative to the data's
    is_best: bool
    alarm: str | None  # why this looks like a collapse, or None
    precision: float = math.nan  # share of samples among the real images (k-NN manifold)
    recall: float = math.nan  # share of the real images the samples cover


def judge(recent: list[float], relative_diversity: float, peak_diversity: float) -> str | None:
    """Why the newest evaluation looks like a collapse, or None when it does not.

    Diversity counts as collapsed only once it had reached a healthy level: a young
    generator draws similar blobs for every latent and that is not a collapse.
    """
    if peak_diversity >= DIVERSITY_FLOOR and relative_diversity < DIVERSITY_FLOOR:
        return f"sample diversity fell to {relative_diversity:.0%} of the data's (mode collapse)"
    tail = recent[-(RISES + 1) :]
    rising = all(later > earlier for earlier, later in zip(tail, tail[1:], strict=False))
    if len(tail) == RISES + 1 and rising:
        return f"FD rose {RISES} evaluations in a row ({' -> '.join(f'{fd:.3g}' for fd in tail)})"
    return None


class QualityWatch:
    """Scores the sampler against a fixed set of real images with fixed latents."""

    def __init__(
        self,
        images: np.ndarray,
        latent_dim: int,
        seed: int,
        count: int,
        path: Path,
        state: WatchState,
        on_event: OnEvent = ignore_events,
    ) -> None:
        """``state``: what ``path`` (quality.json) held, read back by the run before it wrote anything;
        ``on_event`` hears the real images' features being computed (once per folder and size)."""
        self.real = quality.real_features(images, max(REAL_FACTOR * count, 512), on_event)
        self.data_diversity = quality.diversity(self.real)
        self.latents = rng_for(seed, STREAM_EVAL, 0).standard_normal((count, latent_dim), dtype=np.float32)
        self.path = path
        self.state = state

    def evaluate(self, generator: keras.Model, step: int) -> Evaluation:
        parts = [
            keras.ops.convert_to_numpy(generator(self.latents[i : i + 128], training=False))
            for i in range(0, len(self.latents), 128)
        ]
        features = quality.extract(image_io.to_uint8(np.concatenate(parts)))
        score = quality.score(features, self.real)
        relative = quality.diversity(features) / max(self.data_diversity, 1e-12)
        state = self.state
        is_best = score.fd < state.best_fd
        if is_best:
            state.best_fd, state.best_step = score.fd, step
        state.recent = [*state.recent, score.fd][-(RISES + 1) :]
        state.peak_diversity = max(state.peak_diversity, relative)
        alarm = judge(state.recent, relative, state.peak_diversity)
        return Evaluation(
            step, score.fd, score.kid, score.kid_se, relative, is_best, alarm, score.precision, score.recall
        )

    def rolled_back(self) -> None:
        self.state.recent = []
        self.state.rollbacks += 1

    def save(self) -> None:
        runs.write_json(self.path, asdict(self.state))

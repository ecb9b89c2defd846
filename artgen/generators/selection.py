"""Sample selection: draw more candidates than asked for, keep the ones the discriminator rates best.

This is how ``--select`` trades variety for quality. BigGAN's truncation trick
(shrinking latents towards 0) does not do that for a DCGAN: with no mapping
network and batch norm, a shorter latent is a fainter image, and samples fade
to the background. Ranking drawn samples instead keeps every kept image an
ordinary draw of the generator. The rater is the run's own discriminator
(discriminator rejection sampling, Azadi et al. 2019, as a top share by logit;
its batch norm on its moving statistics, which ranked better than each batch's
own): a run's checkpoints hold it, so a bare ``.keras`` generator (the bundled
one) cannot be selected from. Keeping the candidates of highest k-NN density
in VGG16 feature space was measured too and rejected: it raised precision
only by keeping faint, near-blank images (benchmarks/sample_selection.py).
"""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np

from artgen import stored
from artgen.errors import ModelError
from artgen.events import Message, OnEvent, ignore_events
from artgen.generators.locate import critic_checkpoint, no_critic

__all__ = ["pool_size", "keep_best", "load_critic", "critic_scores"]


def pool_size(count: int, keep: float) -> int:
    """Candidates to draw so that keeping the ``keep`` share of them leaves ``count``."""
    return max(count, math.ceil(count / keep - 1e-9))


def keep_best(scores: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` highest ``scores``, in candidate order (ties: the earlier one)."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    return np.sort(order[:count])


def load_critic(model: Path, on_event: OnEvent = ignore_events) -> keras.Model:
    """The discriminator that trained alongside generator file ``model`` (see ``critic_checkpoint``)."""
    # Imported here: the DCGAN's checkpoint format reaches this package through gan.py.
    from artgen.dcgan import checkpoint
    from artgen.dcgan.config import TrainConfig
    from artgen.dcgan.models import build_discriminator

    saved = critic_checkpoint(model)
    if saved is None:
        raise ModelError(no_critic(model))
    run_dir = model.parent.parent if model.suffix == ".npz" else model.parent
    path = run_dir / "config.json"
    config = TrainConfig.from_run(stored.read_json(path), path)
    found = checkpoint.newest_readable(saved.parent.parent, on_event, newest=saved)
    if found is None:
        raise ModelError(f"{saved} is missing; --select needs the run's discriminator")
    critic = build_discriminator(config.size, config.width, spectral_norm=config.spectral_norm)
    weights = checkpoint.group(found[1], "discriminator")
    if len(weights) != len(critic.weights):
        raise ModelError(f"{found[0]} does not hold a discriminator of this run's shape")
    critic.set_weights(weights)
    on_event(Message(f"rating candidates with the discriminator of {found[0]}"))
    return critic


def critic_scores(critic: keras.Model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The discriminator's logit for each (N, H, W, 3) uint8 image: higher is rated more real."""
    parts = []
    for start in range(0, len(images), batch_size):
        batch = np.asarray(images[start : start + batch_size], dtype=np.float32) / 127.5 - 1.0
        parts.append(keras.ops.convert_to_numpy(critic(batch, training=False)).reshape(-1))
    return np.concatenate(parts)

"""Sampling from a trained generator: a ``.keras`` file, a run directory, or the bundled default."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from artgen import images as image_io
from artgen import runs
from artgen.dcgan import checkpoint
from artgen.dcgan.config import TrainConfig
from artgen.dcgan.gan import recalibrate_batch_norm
from artgen.dcgan.locate import DEFAULT_GENERATOR, resolve_model
from artgen.dcgan.models import build_generator
from artgen.errors import InputError, ModelError

__all__ = [
    "DEFAULT_GENERATOR",
    "resolve_model",
    "load_generator",
    "latent_dim",
    "latents",
    "generate",
    "sample",
]


def load_generator(model: str | Path | None = None, which: str | None = None) -> keras.Model:
    """Load a generator safely (``safe_mode=True``; checkpoints are plain arrays)."""
    path = resolve_model(model, which)
    if path.suffix == ".npz":
        return _from_checkpoint(path)
    if path.suffix not in (".keras", ".h5"):
        raise ModelError(f"{path} is not a model file; give a .keras file or a training run directory")
    try:
        generator = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for a damaged or foreign file
        reason = str(exc).split(". ")[0].splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelError(f"cannot load model {path}: {reason}") from None
    shape = generator.output_shape
    if len(generator.inputs) != 1 or len(shape) != 4 or shape[-1] != 3:
        raise ModelError(f"{path} is not an image generator (its output shape is {shape})")
    return generator


def _from_checkpoint(path: Path) -> keras.Model:
    run_dir = path.parent.parent
    config = TrainConfig.from_run(runs.read_json(run_dir / "config.json"))
    generator = build_generator(config.size, config.latent_dim, config.width)
    weights = checkpoint.load_group(path, "ema_generator" if config.ema else "generator")
    generator.set_weights(weights)
    return recalibrate_batch_norm(generator, config.seed) if config.ema_bn else generator


def latent_dim(generator: keras.Model) -> int:
    return int(generator.input_shape[-1])


def latents(count: int, dim: int, seed: int, truncation: float | None = None) -> np.ndarray:
    """Standard-normal latents; with ``truncation`` T, values beyond ±T are redrawn.

    This is BigGAN's truncation trick (a truncated normal), not a rescaling of
    the vector: smaller T, less variety and more typical images.
    """
    if truncation is not None and truncation <= 0:
        raise InputError("--truncation must be positive")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((count, dim), dtype=np.float32)
    if truncation is not None:
        outside = np.abs(z) > truncation
        while outside.any():
            z[outside] = rng.standard_normal(int(outside.sum()), dtype=np.float32)
            outside = np.abs(z) > truncation
    return z


def generate(generator: keras.Model, z: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Images for latents ``z`` as (N, H, W, 3) uint8, in batches to bound memory."""
    parts = [
        image_io.to_uint8(keras.ops.convert_to_numpy(generator(z[i : i + batch_size], training=False)))
        for i in range(0, len(z), batch_size)
    ]
    return np.concatenate(parts)


def sample(
    model: str | Path | keras.Model | None = None,
    count: int = 64,
    seed: int = 0,
    truncation: float | None = None,
) -> np.ndarray:
    """``count`` images from ``model`` as (N, H, W, 3) uint8."""
    if count < 1:
        raise InputError("-n must be at least 1")
    generator = model if isinstance(model, keras.Model) else load_generator(model)
    return generate(generator, latents(count, latent_dim(generator), seed, truncation))

"""Sampling from a trained generator: a ``.keras`` file, a run directory, or the bundled default."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import keras
import numpy as np

from artgen import files, stored
from artgen import images as image_io
from artgen.configs import check_seed
from artgen.dcgan.config import MAX_SAMPLES
from artgen.errors import InputError, ModelError, os_error_reason
from artgen.events import OnEvent, Ticker, ignore_events
from artgen.generators.locate import DEFAULT_GENERATOR, resolve_model
from artgen.roles import check_generator

__all__ = [
    "DEFAULT_GENERATOR",
    "resolve_model",
    "load_generator",
    "latent_dim",
    "latents",
    "generate",
    "sample",
]


def load_generator(
    model: str | Path | None = None, which: str | None = None, on_event: OnEvent = ignore_events
) -> keras.Model:
    """Load a generator safely (``safe_mode=True``; checkpoints are plain arrays)."""
    path = resolve_model(model, which)
    if path.suffix == ".npz":
        return _from_checkpoint(path, on_event)
    if path.suffix not in (".keras", ".h5"):
        raise ModelError(f"{path} is not a model file; give a .keras file or a training run directory")
    try:
        files.regular_file(path)
    except OSError as exc:
        raise ModelError(f"cannot load model {path}: {os_error_reason(exc)[1]}") from None
    if path.suffix == ".keras" and not _intact_zip(path):
        raise ModelError(f"cannot load model {path}: not a readable Keras file (truncated or damaged)")
    try:
        generator = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for a damaged or foreign file
        reason = str(exc).split(". ")[0].splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelError(f"cannot load model {path}: {reason}") from None
    check_generator(generator, path)
    return generator


def _intact_zip(path: Path) -> bool:
    """A ``.keras`` file is a zip archive; one cut short fails here, before Keras's vaguer errors."""
    try:
        with files.open_regular(path) as handle, zipfile.ZipFile(handle) as archive:
            return archive.testzip() is None
    except (OSError, zipfile.BadZipFile, EOFError, ValueError, zlib.error):
        return False


def _from_checkpoint(path: Path, on_event: OnEvent = ignore_events) -> keras.Model:
    """The generator of an unfinished run, rebuilt from its config and newest intact checkpoint."""
    # The DCGAN's settings, architecture and checkpoint format (no trainer). Imported here because
    # checkpoint.py reaches this module through gan.py.
    from artgen.dcgan import checkpoint
    from artgen.dcgan.config import TrainConfig
    from artgen.dcgan.models import build_generator, recalibrate_batch_norm

    run_dir = path.parent.parent
    config_path = run_dir / "config.json"
    config = TrainConfig.from_run(stored.read_json(config_path), config_path)
    found = checkpoint.newest_readable(run_dir, on_event, newest=path)
    if found is None:
        raise ModelError(f"{path} is missing")
    generator = build_generator(config.size, config.latent_dim, config.width)
    group = "ema_generator" if config.ema else "generator"
    checkpoint.assign({group: generator.weights}, found[0], found[1], {"engine": "dcgan", **config.to_dict()})
    return recalibrate_batch_norm(generator, config.seed) if config.ema_bn else generator


def latent_dim(generator: keras.Model) -> int:
    return int(generator.input_shape[-1])


def latents(count: int, dim: int, seed: int, truncation: float | None = None) -> np.ndarray:
    """Standard-normal latents; with ``truncation`` T, values beyond ±T are redrawn.

    This is BigGAN's truncation trick (a truncated normal), not a rescaling of
    the vector: smaller T, less variety and more typical images.
    """
    if truncation is not None and not (np.isfinite(truncation) and truncation > 0):
        raise InputError("--truncation must be a positive number")
    check_seed(seed)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((count, dim), dtype=np.float32)
    if truncation is not None:
        outside = np.abs(z) > truncation
        while outside.any():
            z[outside] = rng.standard_normal(int(outside.sum()), dtype=np.float32)
            outside = np.abs(z) > truncation
    return z


def generate(
    generator: keras.Model, z: np.ndarray, batch_size: int = 256, on_event: OnEvent = ignore_events
) -> np.ndarray:
    """Images for latents ``z`` as (N, H, W, 3) uint8, in batches to bound memory."""
    tick = Ticker(on_event, len(z), "image", "drawing images")
    parts = []
    for i in range(0, len(z), batch_size):
        parts.append(
            image_io.to_uint8(keras.ops.convert_to_numpy(generator(z[i : i + batch_size], training=False)))
        )
        tick(min(i + batch_size, len(z)))
    return np.concatenate(parts)


def sample(
    model: str | Path | keras.Model | None = None,
    count: int = 64,
    seed: int = 0,
    truncation: float | None = None,
    on_event: OnEvent = ignore_events,
) -> np.ndarray:
    """``count`` images from ``model`` as (N, H, W, 3) uint8."""
    if not 1 <= count <= MAX_SAMPLES:
        raise InputError(f"-n must be between 1 and {MAX_SAMPLES}, not {count}")
    generator = model if isinstance(model, keras.Model) else load_generator(model, on_event=on_event)
    return generate(generator, latents(count, latent_dim(generator), seed, truncation), on_event=on_event)

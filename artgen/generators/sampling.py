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
from artgen.generators import selection
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


def latents(count: int, dim: int, seed: int) -> np.ndarray:
    """Standard-normal latents; the first n of a larger draw with the same seed are the n of a smaller."""
    check_seed(seed)
    return np.random.default_rng(seed).standard_normal((count, dim), dtype=np.float32)


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
    select: float = 1.0,
    on_event: OnEvent = ignore_events,
    chosen: np.ndarray | None = None,
) -> np.ndarray:
    """``count`` images from ``model`` as (N, H, W, 3) uint8; ``chosen`` latents instead of random ones.

    ``select`` below 1 draws ``count / select`` candidates and keeps the ``count`` that the
    discriminator of ``model``'s training run rates most real (``model`` must then be a
    path in a run directory); the kept images stay in the order they were drawn.
    """
    if not 1 <= count <= MAX_SAMPLES:
        raise InputError(f"-n must be between 1 and {MAX_SAMPLES}, not {count}")
    if isinstance(model, keras.Model):
        if select < 1:
            raise InputError("--select needs the generator's training run, not a model in memory")
        generator, critic = model, None
    else:
        path = resolve_model(model)
        generator = load_generator(path, on_event=on_event)
        critic = selection.load_critic(path, on_event) if select < 1 else None
    if chosen is not None:
        if chosen.shape[1:] != (latent_dim(generator),):
            raise InputError(
                f"--latents holds {chosen.shape[1]}-long latents; the generator takes {latent_dim(generator)}"
            )
        return generate(generator, chosen, on_event=on_event)
    z = latents(selection.pool_size(count, select), latent_dim(generator), seed)
    if critic is None:
        return generate(generator, z, on_event=on_event)
    # Rated a batch at a time and drawn again once chosen: 4x the candidates never sit in memory.
    scores = [
        selection.critic_scores(critic, generate(generator, z[i : i + 256])) for i in range(0, len(z), 256)
    ]
    return generate(generator, z[selection.keep_best(np.concatenate(scores), count)])

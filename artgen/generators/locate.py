"""Finding generators on disk, without loading Keras.

``artgen sample --info``, the job runner and the TUI's forms resolve model
paths too, and must not pay for a TensorFlow import to do it.
"""

from __future__ import annotations

from pathlib import Path

from artgen import stored
from artgen.assets import asset
from artgen.dcgan.run_files import CHECKPOINT_NAME, latest_checkpoint
from artgen.errors import ArtgenError, ModelError

__all__ = [
    "DEFAULT_GENERATOR",
    "WHICH",
    "resolve_model",
    "describe",
    "critic_checkpoint",
    "no_critic",
]

WHICH = ("final", "best", "latest")

DEFAULT_GENERATOR = asset("generator", "emoji64.keras")


def resolve_model(model: str | Path | None, which: str | None = None) -> Path:
    """A generator file for ``model``: a ``.keras`` path, a run directory, or None for the default.

    In a run directory, ``which`` picks ``final`` (``generator.keras``), ``best``
    (``generator-best.keras``, lowest FD) or ``latest`` (the newest checkpoint).
    Without it: the final generator or, for a run still training or stopped
    early, its newest checkpoint.
    """
    if which is not None:
        if which not in WHICH:
            raise ModelError(f"--which must be one of {', '.join(WHICH)}")
        if model is None or not Path(model).is_dir():
            raise ModelError("--which needs --model RUN_DIR (a training run directory)")
        path = Path(model)
        if which == "final" and not (path / "generator.keras").exists():
            raise ModelError(f"{path} has not finished (no generator.keras); try --which latest")
        if which == "best":
            if not (path / "generator-best.keras").exists():
                raise ModelError(
                    f"{path} has no generator-best.keras: {_why_no_best(path)}; try --which latest"
                )
            return path / "generator-best.keras"
        if which == "latest":
            found = latest_checkpoint(path)
            if found is None:
                raise ModelError(f"{path} has no checkpoint yet")
            return found
    if model is None:
        if not DEFAULT_GENERATOR.exists():
            raise ModelError("no bundled generator in this installation; pass --model PATH_OR_RUN_DIR")
        return DEFAULT_GENERATOR
    path = Path(model)
    if path.is_dir():
        if (path / "generator.keras").exists():
            return path / "generator.keras"
        found = latest_checkpoint(path)
        if found is None:
            raise ModelError(f"{path} has no generator.keras and no checkpoint yet")
        return found
    if not path.exists():
        raise ModelError(f"model {path} does not exist")
    return path


def _why_no_best(run_dir: Path) -> str:
    """Why a run has no best generator: its config.json turned evaluations off, or none has finished."""
    try:
        settings = stored.read_json(run_dir / "config.json")
    except ArtgenError:
        return "it has no readable config.json"
    if settings.get("eval_every") == 0:
        return "it was trained with --eval-every 0 (no quality evaluations)"
    return "none of its quality evaluations has finished yet"


def describe(path: Path) -> str:
    """Which generator of a run ``path`` is, for the "using ..." line of sample and walk."""
    if path.name == "generator.keras":
        return f"{path} (final)"
    if path.name == "generator-best.keras":
        return f"{path} (best FD)"
    if CHECKPOINT_NAME.fullmatch(path.name):
        return f"{path} (latest checkpoint, step {int(path.stem.split('-')[1])})"
    return str(path)


def critic_checkpoint(model: Path) -> Path | None:
    """The checkpoint holding the discriminator that trained alongside generator file ``model``.

    ``generator.keras``: the run's newest checkpoint (its last step); ``generator-best.keras``:
    the state saved with it under ``best/``; a checkpoint: itself. None for a generator outside
    a run directory (the bundled one, a copied ``.keras`` file), which has no discriminator.
    """
    model = Path(model)
    run_dir = model.parent.parent if model.suffix == ".npz" else model.parent
    if not (run_dir / "config.json").is_file():
        return None
    if model.suffix == ".npz":
        return model
    if model.name == "generator.keras":
        return latest_checkpoint(run_dir)
    if model.name == "generator-best.keras":
        return latest_checkpoint(run_dir / "best")
    return None


def no_critic(model: Path) -> str:
    """The one line refusing ``--select`` for a generator without a discriminator."""
    return (
        f"--select ranks samples with the discriminator a training run keeps in its checkpoints; "
        f"{model} has none: pass --model RUN_DIR"
    )

"""Sample images written to files: the one path of ``artgen sample`` and the studio's sample job.

Two halves, so that a caller can refuse bad input before it pays for Keras:
:func:`plan_samples` checks the outputs and finds the model without
importing Keras; :func:`write_samples` loads the model, draws and writes.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from artgen import runs
from artgen.errors import InputError
from artgen.events import Message, OnEvent, Progress, ignore_events
from artgen.generators.locate import critic_checkpoint, describe, no_critic, resolve_model

__all__ = ["SamplePlan", "SampleFiles", "plan_samples", "write_samples"]


@dataclass(frozen=True)
class SamplePlan:
    """What :func:`write_samples` will draw and where, every check already passed."""

    model: Path  # the generator file (resolved)
    from_run: bool  # the model was chosen in a run directory (which holds several)
    count: int
    seed: int
    select: float  # the share of candidates kept (1: no selection)
    out: Path | None  # the grid
    columns: int | None
    separate: Path | None  # the folder of one PNG per image
    separate_files: tuple[Path, ...]
    overwrite: bool
    how_to_overwrite: str
    latents: np.ndarray | None = None  # the latents to draw (--latents), instead of random ones


@dataclass(frozen=True)
class SampleFiles:
    """What :func:`write_samples` wrote."""

    out: Path | None
    separate: Path | None
    count: int
    size: int  # pixels per side of each image

    def lines(self) -> list[str]:
        """One line per output, for the CLI's result and the job's log."""
        lines = [f"wrote {self.out} ({self.count} images, {self.size} px)"] if self.out else []
        return lines + ([f"wrote {self.count} images to {self.separate}/"] if self.separate else [])


def plan_samples(
    out: str | Path | None,
    *,
    model: str | Path | None = None,
    which: str | None = None,
    count: int = 64,
    seed: int = 0,
    select: float = 1.0,
    columns: int | None = None,
    separate: str | Path | None = None,
    overwrite: bool = False,
    how_to_overwrite: str = "pass --overwrite",
    latents: str | Path | None = None,
) -> SamplePlan:
    """A grid at ``out`` (a PNG) and/or one PNG per image in ``separate``, checked before anything loads.

    No file is replaced unless ``overwrite``, and ``separate`` must be a new
    or empty folder unless ``overwrite`` (then only the files it writes are
    replaced); ``how_to_overwrite`` tells the caller's user how to ask for
    that (a flag, a tick box). ``latents``: a latents file of this generator, whose latents are
    drawn (every one) instead of ``count`` random ones from ``seed``.
    """
    if out is None and separate is None:
        raise InputError("give OUT.png, --separate DIR, or both")
    if latents is not None and select < 1:
        raise InputError("--select chooses among random latents; leave it out with --latents")
    path = resolve_model(model, which)
    chosen = None
    if latents is not None:
        from artgen.generators.latents_file import read_latents

        chosen = read_latents(latents, path, "--latents").latents
        count = len(chosen)
    if columns is not None and columns > count:
        raise InputError(f"--columns {columns} is more than the {count} images (-n)")
    out = Path(out) if out is not None else None
    if out is not None and out.suffix.lower() != ".png":
        raise InputError(f"{out} must end in .png")
    folder = Path(separate) if separate is not None else None
    # refused before the model loads; write_samples takes the names, checked again, for its whole run
    if out is not None:
        runs.check_output(out, overwrite=overwrite, how=how_to_overwrite)
    if folder is not None:
        runs.check_output(folder, kind="into", overwrite=overwrite, how=how_to_overwrite)
    name = "latent-{1:05d}.png" if chosen is not None else "{0:04d}-{1:05d}.png"
    each = tuple(folder / name.format(seed, index) for index in range(count)) if folder else ()
    if select < 1 and critic_checkpoint(path) is None:
        raise InputError(no_critic(path))
    from_run = model is not None and Path(model).is_dir()
    return SamplePlan(
        path, from_run, count, seed, select, out, columns, folder, each, overwrite, how_to_overwrite, chosen
    )


def write_samples(plan: SamplePlan, on_event: OnEvent = ignore_events) -> SampleFiles:
    """Load the model, draw ``plan.count`` images and write them; each file atomically.

    The grid's name and the folder are held from before the model loads; a
    failure or a stop removes what was held for them and nothing else.
    """
    with contextlib.ExitStack() as held:
        if plan.out is not None:
            held.enter_context(runs.reserve(plan.out, overwrite=plan.overwrite, how=plan.how_to_overwrite))
        if plan.separate is not None:
            into = runs.reserve(
                plan.separate, kind="into", overwrite=plan.overwrite, how=plan.how_to_overwrite
            )
            held.enter_context(into)
        return _draw(plan, on_event)


def _draw(plan: SamplePlan, on_event: OnEvent) -> SampleFiles:
    from artgen import images
    from artgen.generators import sampling

    on_event(Progress(0, 1, unit="grid"))
    pictures = sampling.sample(
        plan.model, plan.count, plan.seed, plan.select, on_event=on_event, chosen=plan.latents
    )
    if plan.from_run:  # said once it loaded: no claim before an error
        on_event(Message(f"using {describe(plan.model)}"))
    if plan.out is not None:
        images.save_png(plan.out, images.grid(pictures, plan.columns))
    if plan.separate is not None:
        for path, picture in zip(plan.separate_files, pictures, strict=True):
            images.save_png(path, picture)  # atomic: a kill leaves whole files only
    on_event(Progress(1, 1, unit="grid"))
    return SampleFiles(plan.out, plan.separate, len(pictures), int(pictures.shape[1]))

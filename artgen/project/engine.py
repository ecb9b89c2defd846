"""``project_images``: the latents whose generated pictures are nearest given pictures.

The pictures are read and the generator loaded; then, a few pictures at a
time, each picture's ``restarts`` starts (the random latents, of
``candidates``, whose pictures are perceptually nearest it) are optimised
side by side (:mod:`artgen.project.search`) against the perceptual distance
and pixel term of :mod:`artgen.project.distance`. :func:`find_latents` is
the part a caller with a generator in memory uses (a walk through pictures).
"""

from __future__ import annotations

import contextlib
import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from artgen import images as image_io
from artgen import runs
from artgen.errors import InputError
from artgen.events import Message, Metrics, OnEvent, Preview, Progress, ShouldStop, ignore_events, never_stop
from artgen.generators import sampling
from artgen.generators.latents_file import write_latents
from artgen.generators.locate import resolve_model
from artgen.project import distance, search
from artgen.project.config import ProjectConfig

__all__ = ["ProjectResult", "Projection", "project_images", "find_latents", "read_pictures", "side_by_side"]

BACKGROUND = (255, 255, 255)  # behind transparent pictures: what artgen train puts there by default
STAGE = "projecting"
METRICS_EVERY = 10  # steps between the mean distances reported


@dataclass(frozen=True)
class ProjectResult:
    out: Path  # the latents file
    picture: Path  # the side-by-side PNG
    count: int  # pictures projected; 0 when stopped (nothing is written then)
    distances: tuple[float, ...] = ()  # each reconstruction's perceptual distance to its picture
    stopped: bool = False


@dataclass(frozen=True)
class Projection:
    """What :func:`find_latents` found, row by row with the pictures."""

    latents: np.ndarray  # (N, latent_dim) float32
    distances: np.ndarray  # (N,) perceptual distances of the reconstructions
    reconstructions: np.ndarray  # (N, H, W, 3) uint8
    # (N, restarts): the perceptual distance each start reached, the nearest start first; the
    # first k columns are what k restarts would have found (the rows are independent problems)
    tried: np.ndarray


def project_images(
    config: ProjectConfig, on_event: OnEvent = ignore_events, should_stop: ShouldStop = never_stop
) -> ProjectResult:
    """Write ``config.out`` (the latents) and its side-by-side PNG; nothing if stopped first.

    Both names are held from before the pictures are read until both files are in place.
    """
    with contextlib.ExitStack() as held:
        for path in (config.out, config.picture):
            held.enter_context(runs.reserve(path, overwrite=config.overwrite))
        model = resolve_model(config.model)
        generator = sampling.load_generator(model, on_event=on_event)
        pictures = read_pictures(config.images, int(generator.output_shape[1]))
        found = find_latents(generator, pictures, config, on_event, should_stop)
        if found is None:
            on_event(Message(f"stopped before the end; {config.out} was not written", level="warning"))
            return ProjectResult(Path(config.out), config.picture, 0, stopped=True)
        names = [Path(path).name for path in config.images]
        write_latents(config.out, found.latents, model, names)
        image_io.save_png(config.picture, side_by_side(pictures, found.reconstructions))
    on_event(Preview(str(config.picture), caption=f"{len(pictures)} pictures and their reconstructions"))
    return ProjectResult(
        Path(config.out), config.picture, len(pictures), tuple(float(d) for d in found.distances)
    )


def read_pictures(paths: Sequence[str], size: int) -> np.ndarray:
    """(N, size, size, 3) uint8: each picture upright, on white where transparent, centre-cropped and
    resized as ``artgen train`` reads its images; an unreadable one is one line naming it."""
    pictures = []
    for path in paths:
        try:
            pictures.append(np.asarray(image_io.square_resize(image_io.open_rgb(path, BACKGROUND), size)))
        except image_io.UnusableImage as exc:
            raise InputError(f"{path}: {exc}") from None
    return np.stack(pictures)


def find_latents(
    generator: keras.Model,
    pictures: np.ndarray,
    config: ProjectConfig,
    on_event: OnEvent = ignore_events,
    should_stop: ShouldStop = never_stop,
) -> Projection | None:
    """The latents of ``generator`` nearest ``pictures`` (N, H, W, 3) uint8, with ``config``'s effort
    (its ``images`` and outputs are not read); None if ``should_stop`` said so first."""
    from artgen.vgg import build_features

    vgg = build_features("vgg16", distance.LAYERS)
    backend = search.backend()
    gradient = backend.value_and_grad(generator, vgg, distance.objective)
    forward = backend.compiled(generator, vgg, _features_of_latents)
    features = backend.compiled(generator, vgg, _features_of_pictures)
    dim = sampling.latent_dim(generator)
    candidates = sampling.latents(config.candidates, dim, config.seed)
    schedule = search.Schedule(config.steps, config.learning_rate, config.noise)
    targets = pictures.astype(np.float32) / 127.5 - 1.0
    per_group = max(1, config.batch_size // config.restarts)
    groups = math.ceil(len(pictures) / per_group)
    latents, distances, tried = [], [], []
    started = time.perf_counter()
    for group in range(groups):
        first, last = group * per_group, min((group + 1) * per_group, len(pictures))
        stage = f"{STAGE} {first + 1}-{last} of {len(pictures)}" if len(pictures) > 1 else STAGE
        wanted = [np.asarray(f) for f in features(targets[first:last])]
        starts = _starts(forward, candidates, wanted, config.restarts, config.batch_size)
        rows = np.repeat(np.arange(last - first), config.restarts)  # each picture's starts side by side
        args = (
            [keras.ops.convert_to_tensor(f[rows]) for f in wanted],
            keras.ops.convert_to_tensor(targets[first:last][rows]),
            np.float32(config.pixel_weight),
        )
        on_step = _reporter(
            on_event, group * config.steps, groups * config.steps, config.restarts, stage, started
        )
        found = search.optimise(gradient, starts, args, schedule, config.seed + group, on_step, should_stop)
        if found is None:
            return None
        best = found.loss.reshape(last - first, config.restarts).argmin(axis=1)
        chosen = np.arange(last - first) * config.restarts + best
        latents.append(found.latents[chosen])
        distances.append(found.distance[chosen])
        tried.append(found.distance.reshape(last - first, config.restarts))
        if groups > 1:
            _preview(generator, pictures[first:last], latents[-1], on_event, stage)
    latents_all = np.concatenate(latents)
    reconstructions = sampling.generate(generator, latents_all, batch_size=config.batch_size)
    return Projection(latents_all, np.concatenate(distances), reconstructions, np.concatenate(tried))


def _reporter(
    on_event: OnEvent, done: int, total: int, restarts: int, stage: str, started: float
) -> Callable[[int, np.ndarray], None]:
    """A group's ``on_step``: progress over every group's steps, and the group's mean best distance."""

    def on_step(step: int, best: np.ndarray) -> None:
        rate = (done + step) / max(time.perf_counter() - started, 1e-9)
        on_event(Progress(done + step, total, "step", rate=rate, rate_unit="steps/s", stage=stage))
        if step % METRICS_EVERY == 0:
            nearest = best.reshape(-1, restarts).min(axis=1)
            on_event(Metrics(done + step, {"distance": float(nearest.mean())}))

    return on_step


def _features_of_latents(generator, vgg, z):
    return distance.features(vgg, generator(z, training=False))


def _features_of_pictures(generator, vgg, images):
    return distance.features(vgg, images)


def _starts(
    forward, candidates: np.ndarray, wanted: list[np.ndarray], restarts: int, batch: int
) -> np.ndarray:
    """(pictures * restarts, dim): for each picture, the ``restarts`` candidates nearest it, nearest first."""
    nearness = np.concatenate(
        [
            distance.pairwise([np.asarray(f) for f in forward(candidates[i : i + batch])], wanted)
            for i in range(0, len(candidates), batch)
        ]
    )
    order = np.argsort(nearness, axis=0, kind="stable")[:restarts]  # (restarts, pictures)
    return candidates[order.T.reshape(-1)]


def side_by_side(pictures: np.ndarray, reconstructions: np.ndarray) -> np.ndarray:
    """One PNG's pixels: each picture with its reconstruction on its right, pairs in rows."""
    pairs = math.ceil(math.sqrt(len(pictures)))
    both = np.stack([pictures, reconstructions], axis=1).reshape(-1, *pictures.shape[1:])
    return image_io.grid(both, columns=2 * pairs)


def _preview(
    generator: keras.Model, pictures: np.ndarray, latents: np.ndarray, on_event: OnEvent, stage: str
) -> None:
    """The pictures just projected beside their reconstructions, for the studio's preview."""
    path = Path(tempfile.gettempdir()) / "artgen-project-preview.png"
    image_io.save_png(path, side_by_side(pictures, sampling.generate(generator, latents)))
    on_event(Preview(str(path), caption=stage))

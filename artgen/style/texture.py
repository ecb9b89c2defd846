"""Texture synthesis: ``synthesise(config, on_event, should_stop) -> TextureResult``.

Gatys et al.'s texture model: from seeded noise, match the style images'
Gram matrices (blended as ``artgen style`` blends them) and nothing else.
It runs the still engine's schedule (coarse to fine, the coarse result
upsampled as the next start) and pieces (losses, optimisers, VGG); with
``seamless`` every piece wraps around the edges, so the texture tiles, and
VGG sees the tile at a new random phase of its pooling grid for each L-BFGS
segment (:mod:`artgen.style.seamless`), so that no line, the seam included,
is painted rougher than the rest.
The final line of work is the seam measure (:mod:`artgen.style.seamless`).
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from artgen import images, runs, vgg
from artgen.events import Message, OnEvent, Preview, ShouldStop, ignore_events, never_stop
from artgen.style import memory, optimizers
from artgen.style.config import TextureConfig
from artgen.style.engine import remove_previews
from artgen.style.losses import Weights, style_grams, targets_for
from artgen.style.optimise import Segment, Tracker, optimise, upsample
from artgen.style.pictures import PREVIEW_NAME, fit_size, load_image, reserved_out, resized, style_side
from artgen.style.seamless import Jitter, Seam, calmest_origin, seam_metric, segments

__all__ = ["TextureResult", "synthesise", "default_out"]

STYLE_WEIGHT = 1.0  # the only term besides smoothness, so --tv-weight alone sets the balance


@dataclass(frozen=True)
class TextureResult:
    """What a synthesis produced. ``losses`` are the weighted terms of the written image at its last scale."""

    out: Path
    losses: dict[str, float]
    size: tuple[int, int]  # (width, height)
    iterations: int  # over all scales
    seconds: float
    seam: Seam
    stopped: bool = False


def default_out(config: TextureConfig, folder: Path | None = None) -> AbstractContextManager[Path]:
    """``<style>_texture.png`` in ``folder`` (the working directory), numbered if that name is taken; held."""
    stem = f"{'+'.join(Path(style).stem for style in config.styles)}_texture"
    return runs.reserve_free(folder or Path.cwd(), stem, ".png")


@dataclass
class _Level:
    """One square size of the schedule."""

    shape: tuple[int, int, int, int]
    stage: str


def _noise(config: TextureConfig, side: int) -> np.ndarray:
    """The seeded start: uniform noise in 0-255, as Gatys et al. start a texture."""
    rng = np.random.default_rng(config.seed)
    return vgg.preprocess(rng.uniform(0, 255, (side, side, 3))).ravel()


def synthesise(
    config: TextureConfig, on_event: OnEvent = ignore_events, should_stop: ShouldStop = never_stop
) -> TextureResult:
    """Paint a ``config.size`` px square texture in the style of ``config.styles``; write the PNG.

    The output's name is held from before the model loads until the texture is in place.
    """
    with contextlib.ExitStack() as held:
        return _synthesise(config, on_event, should_stop, held)


def _synthesise(
    config: TextureConfig, on_event: OnEvent, should_stop: ShouldStop, held: contextlib.ExitStack
) -> TextureResult:
    """:func:`synthesise`, its output's name held in ``held`` until it returns."""
    from artgen.style.objective import make_value_and_grad

    started = time.perf_counter()
    styles = [load_image(path, style_side(config.size, config.style_scale)) for path in config.styles]
    out = held.enter_context(reserved_out(config.out, config.overwrite, lambda: default_out(config)))
    on_event(
        Message(f"loading {config.net.upper()} features{' (wrapping around)' if config.seamless else ''}")
    )
    model = vgg.build_features(config.net, seamless=config.seamless)
    paintings = vgg.build_features(config.net)  # the paintings' own edges do not wrap
    on_event(Message(memory.plan_texture(config).describe()))
    work = Path(config.work_dir) if config.work_dir else Path(tempfile.mkdtemp(prefix="artgen-texture-"))
    weights = Weights(0.0, STYLE_WEIGHT, config.tv_weight, config.seamless)
    sizes = config.scale_sizes()
    levels = [
        _Level((1, side, side, 3), f"scale {index}/{len(sizes)} ({side}x{side})")
        for index, side in enumerate(sizes, start=1)
    ]
    tracker = Tracker(
        config.iterations * len(sizes),
        on_event,
        should_stop,
        metrics=lambda terms: {name: value for name, value in terms.items() if name != "content"},
    )

    def level_segments(level: _Level, x: np.ndarray) -> Iterator[Segment]:
        side = level.shape[1]
        style_pictures = [
            vgg.preprocess(resized(style, fit_size(*style.size, style_side(side, config.style_scale))))
            for style in styles
        ]
        # no content term (weight 0): the start picture stands in for the photo the targets expect
        targets = targets_for(
            model,
            x.reshape(level.shape),
            style_pictures,
            config.blend(),
            tuple(vgg.STYLE_LAYERS.values()),
            style_grams(paintings, style_pictures),
        )
        fn = make_value_and_grad(model, targets, weights, level.shape)
        # seamless: VGG sees the tile at changing phases of its pooling grid (artgen.style.seamless)
        if not config.seamless:
            yield Segment(optimizers.Best(fn), config.iterations)
            return
        jitter = Jitter(fn, level.shape, config.seed, every_call=config.optimizer == "adam")
        if config.optimizer != "lbfgs":
            yield Segment(optimizers.Best(jitter), config.iterations)
            return
        lengths = segments(config.iterations)
        for part, length in enumerate(lengths, start=1):
            # a new objective: L-BFGS starts afresh, and so does the best-so-far
            jitter.shift(paired=part == len(lengths))
            yield Segment(optimizers.Best(jitter), length)

    def after_iteration(done: int, before: int, best, level: _Level) -> None:
        if config.preview_every and done // config.preview_every > before // config.preview_every:
            preview = work / PREVIEW_NAME
            images.save_png(preview, vgg.deprocess(best.x.reshape(level.shape)))
            on_event(Preview(str(preview), caption=f"iteration {done}/{tracker.total}, {level.stage}"))

    outcome = optimise(
        levels,
        lambda level: _noise(config, level.shape[1]),
        lambda x, previous, level: upsample(x, previous.shape, level.shape, config.seamless),
        level_segments,
        tracker,
        optimizer=config.optimizer,
        advice="try a smaller --tv-weight",
        after_iteration=after_iteration,
    )
    x, shape, best = outcome.x, outcome.level.shape, outcome.best
    if outcome.stopped:
        on_event(
            Message(
                f"stopped at iteration {tracker.done}/{tracker.total}; writing the best texture so far",
                "warning",
            )
        )

    picture = vgg.deprocess(x.reshape(shape))
    if shape[1] != config.size:  # stopped before the last scale: still give the size asked for
        picture = _upsample_rgb(picture, config.size, config.seamless)
    if config.seamless:  # the same tile, its edges on its calmest lines (artgen.style.seamless)
        picture = np.roll(picture, calmest_origin(picture), axis=(0, 1))
    images.save_png(out, picture)
    if not config.work_dir:
        remove_previews(work)
    seam = seam_metric(picture)
    on_event(Preview(str(out), caption=f"final; {seam.describe()}"))  # the CLI's last line says it too
    losses = {name: value for name, value in best.terms.items() if name != "content"}
    return TextureResult(
        out=out,
        losses=losses,
        size=(config.size, config.size),
        iterations=tracker.done,
        seconds=time.perf_counter() - started,
        seam=seam,
        stopped=outcome.stopped,
    )


def _upsample_rgb(picture: np.ndarray, side: int, wrap: bool) -> np.ndarray:
    """An RGB uint8 picture brought to ``side`` px, wrapping around when it is a tile."""
    height, width = picture.shape[:2]
    x = upsample(picture.astype(np.float32).ravel(), (1, height, width, 3), (1, side, side, 3), wrap)
    return np.clip(x.reshape(side, side, 3) + 0.5, 0, 255).astype(np.uint8)

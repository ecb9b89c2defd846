"""Texture synthesis: ``synthesise(config, on_event, should_stop) -> TextureResult``.

Gatys et al.'s texture model: from seeded noise, match the style images'
Gram matrices (blended as ``artgen style`` blends them) and nothing else.
It runs the still engine's schedule (coarse to fine, the coarse result
upsampled as the next start) and pieces (losses, optimisers, VGG); with
``seamless`` every piece wraps around the edges, so the texture tiles, and
VGG sees the tile at a new random phase of its pooling grid for each L-BFGS
segment (:mod:`artgen.style.jitter`), so that no line, the seam included,
is painted rougher than the rest.
The final line of work is the seam measure (:mod:`artgen.style.seam`).
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from artgen import images, runs
from artgen.errors import InputError, TrainingDiverged
from artgen.events import Message, Metrics, OnEvent, Preview, Progress, ShouldStop, ignore_events, never_stop
from artgen.style import memory, optimizers, vgg
from artgen.style.engine import (  # the still engine's pieces, shared rather than copied
    MIN_STYLE_SIDE,
    PREVIEW_NAME,
    _bounds,
    _remove_previews,
    _resized,
    _Timing,
    _upsample,
    fit_size,
    load_image,
    reserved_out,
)
from artgen.style.jitter import Jitter, segments
from artgen.style.losses import Weights, style_grams, targets_for
from artgen.style.seam import Seam, calmest_origin, seam_metric
from artgen.style.texture_config import TextureConfig

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


def _check_memory(config: TextureConfig) -> memory.Estimate:
    """The run's estimated peak, or an InputError naming the largest size that fits (textures run untiled)."""
    import keras

    from artgen.style.backend import device_memory

    device, base, available = device_memory()
    backend = keras.backend.backend()

    def needed(side: int) -> memory.Estimate:
        sizes = [(s, s) for s in replace(config, size=side).scale_sizes()]
        return memory.estimate(
            sizes,
            config.net,
            config.optimizer,
            backend,
            0,
            0,
            base,
            available,
            device,
            seamless=config.seamless,
            iterations=config.iterations,
        )

    estimate = needed(config.size)
    if not estimate.fits:
        smaller = memory.largest_fitting_size(lambda side: needed(side).fits, config.size)
        advice = f"use --size {smaller}" if smaller else "free some memory or use a smaller --size"
        raise InputError(
            f"a {config.size} px texture needs about {memory.gb(estimate.peak)} of memory but "
            f"{memory.gb(estimate.available + estimate.base)} is there for it on the {estimate.device}; "
            + advice
        )
    return estimate


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
    style_side = max(MIN_STYLE_SIDE, round(config.size * config.style_scale))
    styles = [load_image(path, style_side) for path in config.styles]
    out = held.enter_context(reserved_out(config.out, config.overwrite, lambda: default_out(config)))
    on_event(
        Message(f"loading {config.net.upper()} features{' (wrapping around)' if config.seamless else ''}")
    )
    model = vgg.build_features(config.net, seamless=config.seamless)
    on_event(Message(_check_memory(config).describe()))
    work = Path(config.work_dir) if config.work_dir else Path(tempfile.mkdtemp(prefix="artgen-texture-"))
    weights = Weights(0.0, STYLE_WEIGHT, config.tv_weight, config.seamless)
    sizes = config.scale_sizes()
    total = config.iterations * len(sizes)
    done, stopped = 0, False
    x, shape, best = None, None, None
    timing = _Timing()
    for index, side in enumerate(sizes, start=1):
        new_shape = (1, side, side, 3)
        x = _noise(config, side) if x is None else _upsample(x, shape, new_shape, config.seamless)
        shape = new_shape
        side_of_style = max(MIN_STYLE_SIDE, round(side * config.style_scale))
        style_pictures = [
            vgg.preprocess(_resized(style, fit_size(*style.size, side_of_style))) for style in styles
        ]
        # no content term (weight 0): the start picture stands in for the photo the targets expect
        targets = targets_for(
            model,
            x.reshape(shape),
            style_pictures,
            config.blend(),
            tuple(vgg.STYLE_LAYERS.values()),
            style_grams(vgg.build_features(config.net), style_pictures),  # the paintings' edges do not wrap
        )
        fn = make_value_and_grad(model, targets, weights, shape)
        stage = f"scale {index}/{len(sizes)} ({side}x{side})"
        timing.start_scale()
        lower, upper = _bounds(shape)
        scale_base = done
        # seamless: VGG sees the tile at changing phases of its pooling grid (artgen.style.jitter)
        jitter = (
            Jitter(fn, shape, config.seed, every_call=config.optimizer == "adam") if config.seamless else None
        )
        lbfgs_jittered = jitter is not None and config.optimizer == "lbfgs"
        lengths = segments(config.iterations) if lbfgs_jittered else [config.iterations]
        for part, length in enumerate(lengths, start=1):
            if lbfgs_jittered:  # a new objective: L-BFGS starts afresh, and so does the best-so-far
                jitter.shift(paired=part == len(lengths))
            best = optimizers.Best(jitter or fn)
            base = done

            def on_iteration(
                iteration: int,
                terms: dict[str, float],
                stage=stage,
                base=base,
                scale_base=scale_base,
                best=best,
                shape=shape,
            ) -> bool:
                nonlocal done
                before, done = done, base + iteration
                rate = timing.iterated(done - scale_base)
                on_event(Progress(done, total, unit="iteration", rate=rate, rate_unit="it/s", stage=stage))
                on_event(Metrics(done, {name: value for name, value in terms.items() if name != "content"}))
                if config.preview_every and done // config.preview_every > before // config.preview_every:
                    preview = work / PREVIEW_NAME
                    images.save_png(preview, vgg.deprocess(best.x.reshape(shape)))
                    on_event(Preview(str(preview), caption=f"iteration {done}/{total}, {stage}"))
                return should_stop()

            try:
                if config.optimizer == "lbfgs":
                    optimizers.lbfgs(best, x, lower, upper, length, on_iteration)
                else:
                    optimizers.adam(best, x, lower, upper, length, on_iteration)
            except FloatingPointError as exc:
                raise TrainingDiverged(f"{exc}; try a smaller --tv-weight") from None
            x = np.clip(best.x, lower, upper)
            if should_stop():
                break
        on_event(Message(f"{stage}: {timing.describe_scale()}"))
        if should_stop():
            stopped = True
            on_event(
                Message(f"stopped at iteration {done}/{total}; writing the best texture so far", "warning")
            )
            break

    picture = vgg.deprocess(x.reshape(shape))
    if shape[1] != config.size:  # stopped before the last scale: still give the size asked for
        picture = _upsample_rgb(picture, config.size, config.seamless)
    if config.seamless:  # the same tile, its edges on its calmest lines (artgen.style.seam)
        picture = np.roll(picture, calmest_origin(picture), axis=(0, 1))
    images.save_png(out, picture)
    if not config.work_dir:
        _remove_previews(work)
    seam = seam_metric(picture)
    on_event(Preview(str(out), caption=f"final; {seam.describe()}"))  # the CLI's last line says it too
    losses = {name: value for name, value in best.terms.items() if name != "content"}
    return TextureResult(
        out=out,
        losses=losses,
        size=(config.size, config.size),
        iterations=done,
        seconds=time.perf_counter() - started,
        seam=seam,
        stopped=stopped,
    )


def _upsample_rgb(picture: np.ndarray, side: int, wrap: bool) -> np.ndarray:
    """An RGB uint8 picture brought to ``side`` px, wrapping around when it is a tile."""
    height, width = picture.shape[:2]
    x = _upsample(picture.astype(np.float32).ravel(), (1, height, width, 3), (1, side, side, 3), wrap)
    return np.clip(x.reshape(side, side, 3) + 0.5, 0, 255).astype(np.uint8)

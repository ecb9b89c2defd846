"""The style-transfer engine: ``transfer(config, on_event, should_stop) -> StyleResult``.

Coarse to fine: the picture is optimised at a small size, upsampled, and
optimised again, up to the requested size. The coarse passes are cheap and
settle the large-scale composition, so the expensive full-size pass starts
close to its answer and needs few iterations; this is also what keeps a
2048 px output within memory and time.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from artgen import images, runs
from artgen.errors import InputError, TrainingDiverged
from artgen.events import Message, Metrics, OnEvent, Preview, Progress, ShouldStop, ignore_events, never_stop
from artgen.style import color, memory, optimizers, tiles, vgg
from artgen.style.config import StyleConfig
from artgen.style.losses import Weights, region_targets, style_grams, targets_for
from artgen.style.periodic import fourier_upsample, periodic_component
from artgen.style.regions import RegionMasks, composite
from artgen.style.seam import Seam, seam_metric

StyleCache = dict[int, list]  # per long side, each style's Gram matrices: shared by a batch's photos

__all__ = ["StyleResult", "transfer", "evaluate", "load_image", "default_out", "checked_out", "fit_size"]

MIN_STYLE_SIDE = 32  # a smaller style image leaves block5 with a 2x2 map: no texture to speak of


@dataclass(frozen=True)
class StyleResult:
    """What a transfer produced. ``losses`` are the weighted terms of the written image at its last scale."""

    out: Path
    losses: dict[str, float]
    size: tuple[int, int]  # (width, height)
    iterations: int  # over all scales
    seconds: float
    stopped: bool = False
    frames: Path | None = None
    gif: Path | None = None
    compile_seconds: float = 0.0  # over all scales: the first iteration's time beyond an ordinary one
    iteration_seconds: float = 0.0  # per iteration at the last scale, compiling excluded
    round_trips: int = 0  # host-device exchanges while optimising (previews and frames not counted)
    seam: Seam | None = None  # with --seamless: how the written picture tiles


def load_image(path: str | os.PathLike[str], long_side: int | None = None) -> Image.Image:
    """An RGB image for the engine, or an :class:`InputError` saying why it cannot be one.

    With ``long_side`` (the largest size the engine will use), a photo too
    large to decode whole is read reduced instead of refused.
    """
    try:
        return images.open_rgb(path, fit=long_side)
    except images.UnusableImage as exc:
        raise InputError(f"{path}: {exc}") from None


def fit_size(width: int, height: int, long_side: int) -> tuple[int, int]:
    """(width, height) with the long side ``long_side`` and the aspect ratio kept."""
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resized(im: Image.Image, size: tuple[int, int]) -> np.ndarray:
    if im.size != size:
        im = im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return np.asarray(im, dtype=np.float32)


def _photo(content: Image.Image, size: tuple[int, int], config: StyleConfig) -> np.ndarray:
    """The photo at ``size``, as the picture keeps it: made to tile first when the picture must."""
    rgb = _resized(content, size)
    return periodic_component(rgb) if config.seamless else rgb


def default_out(config: StyleConfig, folder: Path | None = None) -> Path:
    """``<content>_<style>.png`` in ``folder`` (the working directory), numbered if that name is taken."""
    folder = folder or Path.cwd()
    stem = f"{Path(config.content).stem}_{'+'.join(Path(style).stem for style in config.styles)}"
    return runs.untaken(folder, stem, ".png")


def checked_out(out: str | None, overwrite: bool, default: Callable[[], Path]) -> Path:
    """``-o`` as given, refused if it is a folder or taken without ``--overwrite``; else ``default()``."""
    if out is None:
        return default()
    path = Path(out)
    if path.is_dir():
        raise InputError(f"{path} is a folder; -o must name a .png file")
    if path.exists() and not overwrite:
        raise InputError(f"{path} already exists; choose another -o or pass --overwrite")
    return path


class _Scale:
    """One size of the schedule: the images resized to it and the targets computed from them."""

    def __init__(
        self,
        config: StyleConfig,
        model,
        content: Image.Image,
        styles: list[Image.Image],
        long_side: int,
        tiling: _Tiling | None = None,
        regions: RegionMasks | None = None,
        style_cache: StyleCache | None = None,
    ):
        self.size = fit_size(*content.size, long_side)
        self.content_rgb = _photo(content, self.size, config)
        style_side = max(MIN_STYLE_SIDE, round(long_side * config.style_scale))
        self.style_rgbs = [_resized(style, fit_size(*style.size, style_side)) for style in styles]
        content_in, styles_in = self.content_rgb, self.style_rgbs
        if config.preserve_colors:
            content_in = color.luminance_image(self.content_rgb)
            styles_in = [color.match_luminance(style, self.content_rgb) for style in self.style_rgbs]
        self.content_in = content_in
        self.shape = (1, self.size[1], self.size[0], 3)
        self.tiles = tiling.plan(self.size) if tiling else []
        arguments = (
            vgg.preprocess(content_in),
            [vgg.preprocess(s) for s in styles_in],
            config.blend(),
            tuple(vgg.STYLE_LAYERS.values()),
        )
        sides = [side for picture in (content_in, *styles_in) for side in picture.shape[:2]]
        if tiling and max(sides) > tiling.window:
            self.targets = tiles.tiled_targets(
                tiling.statistics, *arguments, tiling.core, tiling.margin, tiling.strides
            )
        else:
            cache = None if config.preserve_colors else style_cache  # the styles were matched to this photo
            # a seamless picture still reads the paintings unwrapped: their own edges' jump is no texture
            paintings = vgg.build_features(config.net) if config.seamless else model
            per_style = _style_grams(paintings, arguments[1], long_side, cache)
            self.targets = targets_for(model, *arguments, per_style)
        self.union = None  # with --mask: how much of each pixel is painted
        if regions is not None:
            self.union = regions.union(self.size)
            shares = regions.shares(self.size, config.blend())
            self.targets = replace(
                self.targets, regions=region_targets(per_style, shares, regions.layer_masks(self.size))
            )

    def value_and_grad(self, model, weights: Weights, tiling: _Tiling | None, should_stop: ShouldStop):
        """The loss and its gradient at this scale: in tiles when the picture has more than one."""
        from artgen.style.objective import make_value_and_grad

        if len(self.tiles) > 1:
            return tiles.TiledValueAndGrad(
                tiling.statistics,
                tiling.share,
                self.targets,
                weights,
                self.shape,
                self.tiles,
                tiling.strides,
                should_stop,
            )
        return make_value_and_grad(model, self.targets, weights, self.shape)


def _style_grams(model, styles: list[np.ndarray], long_side: int, cache: StyleCache | None) -> list:
    """The styles' Gram matrices at this scale, from ``cache`` when an earlier photo computed them.

    Without ``--preserve-colors`` they depend on the style images and the
    scale's size only (the style side follows the long side), never on the photo.
    """
    if cache is None:
        return style_grams(model, styles)
    if long_side not in cache:
        cache[long_side] = style_grams(model, styles)
    return cache[long_side]


class _Timing:
    """Compile time and iteration time, told apart: a scale's first iteration pays for compiling."""

    def __init__(self) -> None:
        self.compile_seconds, self.iteration_seconds = 0.0, 0.0

    def start_scale(self) -> None:
        self.started, self.first, self.first_count, self.count = time.perf_counter(), None, 0, 0

    def iterated(self, count: int) -> float:
        """Record ``count`` iterations done in this scale; returns the rate without compiling, in it/s."""
        now = time.perf_counter()
        self.count = count
        if self.first is None:
            self.first, self.first_count = now, count
            return count / max(now - self.started, 1e-9)
        self.iteration_seconds = (now - self.first) / (count - self.first_count)
        return 1 / max(self.iteration_seconds, 1e-9)

    def describe_scale(self) -> str:
        if self.first is None:
            return "stopped before the first iteration"
        per = self.iteration_seconds if self.count > self.first_count else 0.0
        compiling = max(0.0, (self.first - self.started) - self.first_count * per)
        self.compile_seconds += compiling
        return (
            f"compiling and first iteration {self.first - self.started:.1f} s, then {per:.2f} s per iteration"
        )


def _on_device(config: StyleConfig, scale: _Scale) -> bool:
    """Whether this scale iterates in a compiled device loop rather than from the host.

    ``auto`` follows what was measured (``benchmarks/style_speed.py --loops``):
    on an accelerator the device loop, for Adam and (under JAX) L-BFGS; on a
    CPU the host loops (SciPy's L-BFGS-B, numpy's Adam), which were faster
    there under both backends. Tiled pictures are assembled on the host.
    """
    import keras

    from artgen.style.backend import device_memory

    if len(scale.tiles) > 1 or config.loop == "host":
        return False
    supported = config.optimizer == "adam" or keras.backend.backend() == "jax"
    if config.loop == "device":
        if not supported:
            raise InputError("--loop device runs L-BFGS under JAX only; use --optimizer adam or --loop host")
        return True
    return supported and device_memory()[0] != "CPU"


def _device_loop(model, scale: _Scale, weights: Weights, optimizer: str):
    from artgen.style.backend import make_device_loop

    return make_device_loop(
        model,
        scale.targets,
        weights,
        scale.shape,
        optimizer,
        *_bounds(scale.shape),
        optimizers.ADAM_LEARNING_RATE,
    )


class _Tiling:
    """Tile geometry and the backend's compiled tile passes, made once per run."""

    def __init__(self, model, net: str, core: int) -> None:
        from artgen.style.objective import make_tile_functions

        self.core, self.margin = core, tiles.margin_for(net)
        self.window = core + 2 * self.margin
        self.strides = tuple(vgg.stride_of(name) for name in vgg.output_names())
        self.statistics, self.share = make_tile_functions(model)

    def plan(self, size: tuple[int, int]) -> list[tiles.Tile]:
        width, height = size
        return tiles.plan_tiles(height, width, self.core, self.margin)


def _style_side(config: StyleConfig) -> int:
    """The largest long side a style image is resized to, at the finest scale."""
    return max(MIN_STYLE_SIDE, round(config.size * config.style_scale))


def _bounds(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Flat float32 (lower, upper): each value of a Caffe-space picture within 0-255 before the mean."""
    lower = np.broadcast_to(-vgg.MEAN_BGR, shape).ravel()
    return lower, lower + np.float32(255)


def _initial(
    config: StyleConfig, scale: _Scale, styles: list[Image.Image], start: Image.Image | None = None
) -> np.ndarray:
    """The first scale's starting picture; ``start``: the fast picture, for ``--init fast``."""
    width, height = scale.size
    if config.init == "noise":
        rng = np.random.default_rng(config.seed)
        picture = rng.uniform(0, 255, (height, width, 3))
    elif config.init == "style":
        picture = _resized(styles[0], (width, height))
    elif config.init == "fast":
        picture = _resized(start, (width, height))
    else:
        picture = scale.content_in
    if config.preserve_colors and config.init != "content":
        picture = color.luminance_image(picture)
    return vgg.preprocess(picture).ravel()


def _upsample(x: np.ndarray, old: tuple[int, ...], new: tuple[int, ...], wrap: bool = False) -> np.ndarray:
    """A Caffe-space image resized from shape ``old`` to ``new`` (bicubic, per channel, in float).

    ``wrap``: the image is a tile, enlarged through its Fourier series
    instead, which wraps around and, unlike bicubic, leaves no every-other-line
    pattern (:mod:`artgen.style.periodic`).
    """
    planes = x.reshape(old)[0].astype(np.float32)
    if wrap:
        return fourier_upsample(planes, new[1], new[2]).ravel()
    resized = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(planes[..., c]), "F").resize(
                (new[2], new[1]), Image.Resampling.BICUBIC
            )
        )
        for c in range(3)
    ]
    return np.stack(resized, axis=-1).ravel()


def _next_scale(
    config: StyleConfig, x: np.ndarray, previous: _Scale, scale: _Scale, start: Image.Image | None = None
) -> np.ndarray:
    """The starting picture at a finer scale: the coarser result upsampled, plus the photo's new detail.

    Upsampling alone gives a blurred picture: the photo's edges and fine
    texture, which the coarser scale could not hold, would have to be rebuilt
    from the deep content layer alone, and much of them never come back (the
    result then keeps less of the photo than a one-scale run at the same style
    strength). So, as in a Laplacian pyramid, the photo's band of detail between
    the two sizes is added back; the optimiser then paints over it at this
    scale's own texture size. Starting from noise or the painting, there is no
    photo detail to keep; starting from the fast picture (``start``), its
    detail is added instead.
    """
    upsampled = _upsample(x, previous.shape, scale.shape, config.seamless)
    if config.init == "fast":
        fine, coarse = _initial(config, scale, [], start), _initial(config, previous, [], start)
    elif config.init == "content":
        fine, coarse = vgg.preprocess(scale.content_in).ravel(), vgg.preprocess(previous.content_in).ravel()
    else:
        return upsampled
    upsampled += fine
    upsampled -= _upsample(coarse, previous.shape, scale.shape, config.seamless)
    return np.clip(upsampled, *_bounds(scale.shape), out=upsampled)


def _picture(x: np.ndarray, scale: _Scale, config: StyleConfig) -> np.ndarray:
    rgb = vgg.deprocess(x.reshape(scale.shape))
    if config.preserve_colors:
        rgb = color.with_chroma_of(rgb, scale.content_rgb)
    return rgb if scale.union is None else composite(rgb, scale.content_rgb, scale.union)


def transfer(
    config: StyleConfig,
    on_event: OnEvent = ignore_events,
    should_stop: ShouldStop = never_stop,
    *,
    style_cache: StyleCache | None = None,
) -> StyleResult:
    """Paint ``config.content`` in the style of ``config.styles``; write the PNG and return where it is.

    ``style_cache``: the styles' targets kept across calls (a batch of photos fills it once).
    """
    started = time.perf_counter()
    content = load_image(config.content, config.size)
    styles = [load_image(path, _style_side(config)) for path in config.styles]
    final_size = fit_size(*content.size, config.size)
    regions = RegionMasks.load(config, final_size)
    for note in regions.notes if regions else ():
        on_event(Message(note, "warning"))
    out = checked_out(config.out, config.overwrite, lambda: default_out(config))
    start = None
    if config.init == "fast":
        from artgen.style.fast import start_picture

        on_event(Message("painting the start with --method fast"))
        start = start_picture(config, content, styles, final_size, on_event)
    on_event(Message(f"loading {config.net.upper()} features"))
    model = vgg.build_features(config.net, seamless=config.seamless)
    core, history, needed = _memory_plan(config, content.size, styles)
    on_event(Message(needed.describe()))
    tiling = _Tiling(model, config.net, core) if core else None
    work = Path(config.work_dir) if config.work_dir else Path(tempfile.mkdtemp(prefix="artgen-style-"))
    frames = out.parent / f"{out.stem}-frames" if config.save_every else None
    weights = Weights(config.content_weight, config.style_weight, config.tv_weight, config.seamless)
    sizes = config.scale_sizes()
    total = config.iterations * len(sizes)
    done, stopped, frame_paths, round_trips = 0, False, [], 0
    x, scale, previous, best = None, None, None, None
    timing = _Timing()
    for index, long_side in enumerate(sizes, start=1):
        scale = _Scale(config, model, content, styles, long_side, tiling, regions, style_cache)
        if previous is None:
            x = _initial(config, scale, styles, start)
        else:
            x = _next_scale(config, x, previous, scale, start)
        stage = f"scale {index}/{len(sizes)} ({scale.size[0]}x{scale.size[1]})"
        on_device = _on_device(config, scale)
        if on_device:
            best = optimizers.DeviceBest(_device_loop(model, scale, weights, config.optimizer))
        else:
            transfers = 2 * len(scale.tiles) if len(scale.tiles) > 1 else 1  # two passes over each tile
            best = optimizers.Best(scale.value_and_grad(model, weights, tiling, should_stop), transfers)
        timing.start_scale()
        base = done

        def on_iteration(
            iteration: int, terms: dict[str, float], scale=scale, stage=stage, base=base, best=best
        ) -> bool:
            nonlocal done
            before, done = done, base + iteration
            rate = timing.iterated(iteration)
            on_event(Progress(done, total, unit="iteration", rate=rate, rate_unit="it/s", stage=stage))
            on_event(Metrics(done, dict(terms)))
            if config.save_every and done // config.save_every > before // config.save_every:
                frame = frames / f"frame-{done:05d}.png"
                images.save_png(frame, _picture(best.x, scale, config))
                frame_paths.append(frame)
            if config.preview_every and done // config.preview_every > before // config.preview_every:
                preview = work / "preview.png"
                images.save_png(preview, _picture(best.x, scale, config))
                on_event(Preview(str(preview), caption=f"iteration {done}/{total}, {stage}"))
            return should_stop()

        try:
            if on_device:
                optimizers.on_device(best, x, config.iterations, on_iteration)
            else:
                if config.optimizer == "lbfgs":
                    optimizers.lbfgs(best, x, *_bounds(scale.shape), config.iterations, on_iteration, history)
                else:
                    optimizers.adam(best, x, *_bounds(scale.shape), config.iterations, on_iteration)
        except FloatingPointError as exc:
            raise TrainingDiverged(f"{exc}; try smaller --style-weight or --tv-weight") from None
        except optimizers.EvaluationStopped:
            pass  # should_stop() says so below; the evaluations that finished gave best.x
        round_trips += best.round_trips
        on_event(Message(f"{stage}: {timing.describe_scale()}{' (device loop)' if on_device else ''}"))
        x, previous = np.clip(x if best.x is None else best.x, *_bounds(scale.shape)), scale
        if should_stop():
            stopped = True
            on_event(
                Message(f"stopped at iteration {done}/{total}; writing the best image so far", "warning")
            )
            break

    picture = _picture(x, scale, config)
    if scale.size != final_size:  # stopped before the last scale: still give the size asked for
        picture = np.asarray(Image.fromarray(picture).resize(final_size, Image.Resampling.BICUBIC))
        if regions is not None:  # the photo itself outside the regions, not its enlarged thumbnail
            picture = composite(picture, _photo(content, final_size, config), regions.union(final_size))
    images.save_png(out, picture)
    gif = _write_gif(frame_paths, final_size, frames / "progress.gif") if frame_paths else None
    if not config.work_dir:
        _remove_previews(work)
    seam = seam_metric(picture) if config.seamless else None
    on_event(Preview(str(out), caption=f"final; {seam.describe()}" if seam else "final"))
    return StyleResult(
        out=out,
        losses=dict(best.terms),
        size=final_size,
        iterations=done,
        seconds=time.perf_counter() - started,
        stopped=stopped,
        frames=frames,
        gif=gif,
        compile_seconds=timing.compile_seconds,
        iteration_seconds=timing.iteration_seconds,
        round_trips=round_trips,
        seam=seam,
    )


def _memory_plan(
    config: StyleConfig, content_size: tuple[int, int], styles: list[Image.Image]
) -> tuple[int, int, memory.Estimate]:
    """The tile core (0: untiled), the L-BFGS history and the run's estimated peak, or an InputError.

    Options in order of preference: untiled (unless ``--tile on``), then tiles
    from the largest down (unless ``--no-tile``), each with L-BFGS's full
    history, then with shorter ones (:data:`memory.LBFGS_HISTORIES`). The run
    takes the first option within :data:`memory.AUTO_TILE_SHARE` of the free
    memory, else the first that fits at all, so nothing that fits is refused.
    A size that fits in no way is refused before anything is written, naming
    the largest size that would fit.
    """
    import keras

    from artgen.style.backend import device_memory

    backend = keras.backend.backend()
    device, base, available = device_memory()
    margin = tiles.margin_for(config.net)

    def needed(long_side: int, core: int, history: int) -> memory.Estimate:
        sizes = [fit_size(*content_size, side) for side in _schedule(config, long_side)]
        return memory.estimate(
            sizes,
            config.net,
            config.optimizer,
            backend,
            core,
            margin,
            base,
            available,
            device,
            history,
            seamless=config.seamless,
            iterations=config.iterations,
        )

    cores = [] if config.tile == "on" else [0]
    # tile windows do not wrap around; a region's Gram matrices need the whole picture at once
    if config.tile != "off" and not config.seamless and not config.masks:
        cores += [config.tile_size] if config.tile_size else list(memory.TILE_CORES)
    histories = memory.LBFGS_HISTORIES if config.optimizer == "lbfgs" else memory.LBFGS_HISTORIES[:1]
    options = [(core, history) for history in histories for core in cores]
    estimates = [needed(config.size, core, history) for core, history in options]
    for check in (memory.Estimate.fits_share, lambda estimate: estimate.fits):
        for (core, history), estimate in zip(options, estimates, strict=True):
            if check(estimate):
                return core, history, estimate
    core, history = options[-1]
    smaller = memory.largest_fitting_size(lambda side: needed(side, core, history).fits, config.size)
    more = ", or --tile" if config.tile == "off" and not config.seamless else ""
    raise InputError(_too_big(config, min(estimates, key=lambda e: e.peak), smaller, more))


def _schedule(config: StyleConfig, long_side: int) -> tuple[int, ...]:
    return replace(config, size=long_side).scale_sizes()


def _too_big(config: StyleConfig, estimate: memory.Estimate, smaller: int | None, more: str) -> str:
    advice = f"use --size {smaller}{more}" if smaller else "free some memory or use a smaller --size"
    return (
        f"a {config.size} px picture needs about {memory.gb(estimate.peak)} of memory but "
        f"{memory.gb(estimate.available + estimate.base)} is there for it on the {estimate.device}; {advice}"
    )


def _write_gif(frame_paths: list[Path], size: tuple[int, int], path: Path) -> Path:
    """All saved frames, brought to the output's size, as a looping GIF."""
    import imageio.v3 as iio

    pictures = [
        np.asarray(Image.open(p).convert("RGB").resize(size, Image.Resampling.BICUBIC)) for p in frame_paths
    ]
    pictures += [pictures[-1]] * 5  # linger on the result before looping
    with runs.atomic_path(path) as tmp:
        iio.imwrite(tmp, np.stack(pictures), extension=".gif", duration=100, loop=0)
    return path


def _remove_previews(work: Path) -> None:
    for leftover in work.glob("preview*.png"):
        leftover.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # someone put something else there; leave it
        work.rmdir()


def evaluate(config: StyleConfig, picture: np.ndarray) -> dict[str, float]:
    """artgen's loss terms for an RGB ``picture`` at its own size, with ``config``'s weights.

    A fair score for comparing results made any way (other optimisers,
    other programs): the targets are computed at the picture's size.
    """
    from artgen.style.objective import make_value_and_grad

    model = vgg.build_features(config.net, seamless=config.seamless)
    content = load_image(config.content)
    styles = [load_image(path) for path in config.styles]
    height, width = picture.shape[:2]
    scale = _Scale(config, model, content, styles, max(width, height))
    if scale.size != (width, height):
        raise InputError(f"picture is {width}x{height} but the content at that size is {scale.size}")
    fn = make_value_and_grad(
        model,
        scale.targets,
        Weights(config.content_weight, config.style_weight, config.tv_weight, config.seamless),
        scale.shape,
    )
    return fn(vgg.preprocess(picture).astype(np.float64).ravel())[2]

"""The style-transfer engine: ``transfer(config, on_event, should_stop) -> StyleResult``.

Coarse to fine: the picture is optimised at a small size, upsampled, and
optimised again, up to the requested size. The coarse passes are cheap and
settle the large-scale composition, so the expensive full-size pass starts
close to its answer and needs few iterations; this is also what keeps a
2048 px output within memory and time.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from artgen import images, runs, vgg
from artgen.errors import InputError
from artgen.events import Message, OnEvent, Preview, ShouldStop, ignore_events, never_stop
from artgen.style import color, memory, optimizers, tiles
from artgen.style.config import StyleConfig
from artgen.style.losses import Weights, region_targets, style_grams, targets_for
from artgen.style.optimise import Segment, Tracker, bounds, optimise, upsample
from artgen.style.pictures import (
    PREVIEW_NAME,
    StyleResult,
    default_out,
    fit_size,
    frames_folder,
    load_image,
    reserved_out,
    resized,
    style_side,
)
from artgen.style.regions import RegionMasks, composite
from artgen.style.seamless import periodic_component, seam_metric

StyleCache = dict[int, list]  # per long side, each style's Gram matrices: shared by a batch's photos

__all__ = [
    "Scale",
    "transfer",
    "evaluate",
    "start_picture",
    "next_start",
    "remove_previews",
]


def _photo(content: Image.Image, size: tuple[int, int], config: StyleConfig) -> np.ndarray:
    """The photo at ``size``, as the picture keeps it: made to tile first when the picture must."""
    rgb = resized(content, size)
    return periodic_component(rgb) if config.seamless else rgb


class Scale:
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
        side_of_style = style_side(long_side, config.style_scale)
        self.style_rgbs = [resized(style, fit_size(*style.size, side_of_style)) for style in styles]
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
        self.stage = f"{self.size[0]}x{self.size[1]}"  # what progress calls this scale
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


def _on_device(config: StyleConfig, scale: Scale) -> bool:
    """Whether this scale iterates in a compiled device loop rather than from the host.

    ``auto`` follows what was measured (``benchmarks/style_speed.py --loops``):
    on an accelerator the device loop, for Adam and (under JAX) L-BFGS; on a
    CPU the host loops (SciPy's L-BFGS-B, numpy's Adam), which were faster
    there under both backends. Tiled pictures are assembled on the host.
    """
    from artgen.style.objective import device_optimizers

    if len(scale.tiles) > 1 or config.loop == "host":
        return False
    supported = config.optimizer in device_optimizers()
    if config.loop == "device":
        if not supported:
            raise InputError("--loop device runs L-BFGS under JAX only; use --optimizer adam or --loop host")
        return True
    return supported and memory.device_memory()[0] != "CPU"


def _device_loop(model, scale: Scale, weights: Weights, optimizer: str):
    from artgen.style.objective import device_loop

    return device_loop(
        model,
        scale.targets,
        weights,
        scale.shape,
        optimizer,
        *bounds(scale.shape),
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


def start_picture(
    config: StyleConfig, scale: Scale, styles: list[Image.Image], start: Image.Image | None = None
) -> np.ndarray:
    """The first scale's starting picture; ``start``: the fast picture, for ``--init fast``."""
    width, height = scale.size
    if config.init == "noise":
        rng = np.random.default_rng(config.seed)
        picture = rng.uniform(0, 255, (height, width, 3))
    elif config.init == "style":
        picture = resized(styles[0], (width, height))
    elif config.init == "fast":
        picture = resized(start, (width, height))
    else:
        picture = scale.content_in
    if config.preserve_colors and config.init != "content":
        picture = color.luminance_image(picture)
    return vgg.preprocess(picture).ravel()


def next_start(
    config: StyleConfig, x: np.ndarray, previous: Scale, scale: Scale, start: Image.Image | None = None
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
    upsampled = upsample(x, previous.shape, scale.shape, config.seamless)
    if config.init == "fast":
        fine, coarse = start_picture(config, scale, [], start), start_picture(config, previous, [], start)
    elif config.init == "content":
        fine, coarse = vgg.preprocess(scale.content_in).ravel(), vgg.preprocess(previous.content_in).ravel()
    else:
        return upsampled
    upsampled += fine
    upsampled -= upsample(coarse, previous.shape, scale.shape, config.seamless)
    return np.clip(upsampled, *bounds(scale.shape), out=upsampled)


def _picture(x: np.ndarray, scale: Scale, config: StyleConfig) -> np.ndarray:
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
    The output's name is held from before the model loads until the picture is in place.
    """
    with contextlib.ExitStack() as held:
        return _transfer(config.settled(), on_event, should_stop, style_cache, held)


def _transfer(
    config: StyleConfig,
    on_event: OnEvent,
    should_stop: ShouldStop,
    style_cache: StyleCache | None,
    held: contextlib.ExitStack,
) -> StyleResult:
    """:func:`transfer`, its outputs' names held in ``held`` until it returns."""
    started = time.perf_counter()
    content = load_image(config.content, config.size)
    styles = [load_image(path, style_side(config.size, config.style_scale)) for path in config.styles]
    final_size = fit_size(*content.size, config.size)
    regions = RegionMasks.load(config, final_size)
    for note in regions.notes if regions else ():
        on_event(Message(note, "warning"))
    out = held.enter_context(reserved_out(config.out, config.overwrite, lambda: default_out(config)))
    frames = held.enter_context(frames_folder(out, config.overwrite)) if config.save_every else None
    start = None
    if config.init == "fast":
        from artgen.style.fast import start_picture as fast_picture

        on_event(Message("painting the start with --method fast"))
        start = fast_picture(config, content, styles, final_size, on_event)
    on_event(Message(f"loading {config.net.upper()} features"))
    model = vgg.build_features(config.net, seamless=config.seamless)
    core, history, needed = memory.plan(config, content.size)
    on_event(Message(needed.describe()))
    tiling = _Tiling(model, config.net, core) if core else None
    work = Path(config.work_dir) if config.work_dir else Path(tempfile.mkdtemp(prefix="artgen-style-"))
    weights = Weights(config.content_weight, config.style_weight, config.tv_weight, config.seamless)
    sizes = config.scale_sizes()
    frame_paths: list[Path] = []
    tracker = Tracker(config.iterations * len(sizes), on_event, should_stop)

    def levels() -> Iterator[Scale]:
        for index, long_side in enumerate(sizes, start=1):
            scale = Scale(config, model, content, styles, long_side, tiling, regions, style_cache)
            scale.stage = f"scale {index}/{len(sizes)} ({scale.size[0]}x{scale.size[1]})"
            yield scale

    def segments(scale: Scale, x: np.ndarray) -> list[Segment]:
        if _on_device(config, scale):
            loop = _device_loop(model, scale, weights, config.optimizer)
            return [Segment(optimizers.DeviceBest(loop), config.iterations, on_device=True)]
        transfers = 2 * len(scale.tiles) if len(scale.tiles) > 1 else 1  # two passes over each tile
        objective = scale.value_and_grad(model, weights, tiling, should_stop)
        return [Segment(optimizers.Best(objective, transfers), config.iterations)]

    def after_iteration(done: int, before: int, best, scale: Scale) -> None:
        if config.save_every and done // config.save_every > before // config.save_every:
            frame = frames / f"frame-{done:05d}.png"
            images.save_png(frame, _picture(best.x, scale, config))
            frame_paths.append(frame)
        if config.preview_every and done // config.preview_every > before // config.preview_every:
            preview = work / PREVIEW_NAME
            images.save_png(preview, _picture(best.x, scale, config))
            on_event(Preview(str(preview), caption=f"iteration {done}/{tracker.total}, {scale.stage}"))

    outcome = optimise(
        levels(),
        lambda scale: start_picture(config, scale, styles, start),
        lambda x, previous, scale: next_start(config, x, previous, scale, start),
        segments,
        tracker,
        optimizer=config.optimizer,
        advice="try smaller --style-weight or --tv-weight",
        history=history,
        after_iteration=after_iteration,
    )
    x, scale, best = outcome.x, outcome.level, outcome.best
    if outcome.stopped:
        on_event(
            Message(
                f"stopped at iteration {tracker.done}/{tracker.total}; writing the best image so far",
                "warning",
            )
        )

    picture = _picture(x, scale, config)
    if scale.size != final_size:  # stopped before the last scale: still give the size asked for
        picture = np.asarray(Image.fromarray(picture).resize(final_size, Image.Resampling.BICUBIC))
        if regions is not None:  # the photo itself outside the regions, not its enlarged thumbnail
            picture = composite(picture, _photo(content, final_size, config), regions.union(final_size))
    images.save_png(out, picture)
    gif = _write_gif(frame_paths, final_size, frames / "progress.gif") if frame_paths else None
    if not config.work_dir:
        remove_previews(work)
    seam = seam_metric(picture) if config.seamless else None
    on_event(Preview(str(out), caption=f"final; {seam.describe()}" if seam else "final"))
    return StyleResult(
        out=out,
        losses=dict(best.terms),
        size=final_size,
        iterations=tracker.done,
        seconds=time.perf_counter() - started,
        stopped=outcome.stopped,
        frames=frames,
        gif=gif,
        compile_seconds=tracker.timing.compile_seconds,
        iteration_seconds=tracker.timing.iteration_seconds,
        round_trips=tracker.round_trips,
        seam=seam,
    )


def _write_gif(frame_paths: list[Path], size: tuple[int, int], path: Path) -> Path:
    """All saved frames, brought to the output's size, as a looping GIF."""
    import imageio.v3 as iio

    pictures = [np.asarray(images.open_rgb(p).resize(size, Image.Resampling.BICUBIC)) for p in frame_paths]
    pictures += [pictures[-1]] * 5  # linger on the result before looping
    with runs.atomic_path(path) as tmp:
        iio.imwrite(tmp, np.stack(pictures), extension=".gif", duration=100, loop=0)
    return path


def remove_previews(work: Path) -> None:
    """The scratch folder artgen made, with its preview; anything else put there keeps it."""
    runs.remove_own(work / PREVIEW_NAME, work, PREVIEW_NAME)
    runs.remove_empty_dir(work, work.parent)


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
    scale = Scale(config, model, content, styles, max(width, height))
    if scale.size != (width, height):
        raise InputError(f"picture is {width}x{height} but the content at that size is {scale.size}")
    fn = make_value_and_grad(
        model,
        scale.targets,
        Weights(config.content_weight, config.style_weight, config.tv_weight, config.seamless),
        scale.shape,
    )
    return fn(vgg.preprocess(picture).astype(np.float64).ravel())[2]

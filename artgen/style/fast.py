"""Instant style (``--method fast``): a feed-forward network paints the photo in one pass.

Magenta's arbitrary image stylization (Ghiasi et al. 2017, :mod:`artgen.style.magenta`):
the style predictor turns each painting into a 100-number style vector, and
the transformer paints the photo with it at the photo's own size, in about a
second on a CPU where the optimisation takes minutes. Several paintings blend
by weighting their vectors (``--style-blend``), and ``--strength`` moves the
vector from the photo's own style (0) to the painting's (1), Magenta's
"content blending", which keeps the picture a painting at every strength
where a cross-fade with the photo would show both.

Everything else a still picture can have is done around the network:
``--preserve-colors`` paints the photo's luminance with the styles'
luminance (matched to the photo's, as the optimisation does) and puts the
photo's colours back; ``--mask`` paints the whole picture once per style and
lays each painting in its region, the photo outside them. A picture too large
for the memory there is is painted at the largest size that fits and
enlarged, and says so.

Clips (:func:`paint_clip`) paint each frame in one pass and blend it with the
last painted frame moved along the input's optical flow, wherever the moved
input frame matches the new one: a temporal filter that settles the network's
flicker between frames without smearing what moves.
"""

from __future__ import annotations

import contextlib
import functools
import math
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from artgen import images, runs
from artgen.errors import InputError
from artgen.events import Message, Metrics, OnEvent, Preview, Progress, ShouldStop, ignore_events, never_stop
from artgen.style import color, flow
from artgen.style.clips import Clip, reserved_clip_out, stats_path, write_clip
from artgen.style.config import StyleConfig
from artgen.style.engine import StyleResult, default_out, load_image, reserved_out
from artgen.style.magenta import MULTIPLE, STYLE_SIDE
from artgen.style.optimise import fit_size
from artgen.style.regions import RegionMasks
from artgen.style.sequence import Flicker, Previews, SequenceResult

__all__ = [
    "FastNet",
    "fast_net",
    "paint",
    "paint_clip",
    "start_picture",
    "crop_square",
    "BYTES_PER_PIXEL",
    "HOLD",
]

STYLE_READ_SIDE = 2048  # paintings are read reduced to this at most: the predictor sees a 256 px square
# Peak bytes per pixel of one transformer pass, measured (fresh processes, 1024 and 2048 px squares: 230 and
# 200 under TensorFlow, 520 and 300 under JAX, whose compiling takes about 250 MB whatever the size), with a
# quarter more for the picture's arrays around it
BYTES_PER_PIXEL = {"tensorflow": 290, "jax": 400}
MEMORY_SHARE = 0.5  # of the free memory, what one picture may take (the machine is shared)
# A clip's temporal filter: where the moved last frame is trusted, it makes up this share of the new one,
# so a frame's strokes are carried for about 1 / (1 - HOLD) frames. Flicker along the flow on 128 px clips
# (benchmarks/style_fast.py --flicker, along the stable Gatys path's flow): a still camera 1.14 painted
# frame by frame, 0.14 held at 0.95 (the stable Gatys path 0.17); a 40-frame pan 1.70 and 0.24 (Gatys
# 0.14). Held at 0.97 and 0.98 the pan went to 0.20 and 0.18, but its strokes' contrast and raw flicker rose.
HOLD = 0.95
DETAIL_SIGMA = 2.0  # px: the strokes are what a Gaussian blur of this radius takes out of a painting
MAX_GAIN = 2.0  # the most a blend's strokes are sharpened back
CHANGE_LEVELS = 12.0  # the moved input missing the new frame by this many levels (0-255) trusts it e^-1
LUMA = np.array([0.299, 0.587, 0.114], np.float32)
# A clip's flow: DIS's "fast" preset refined down to about this long side. At 512 px it costs 5 ms of CPU
# time a frame pair against 32 ms for the stable Gatys path's (medium, 256 px), and warps a frame onto the
# next about 1.0 level (of 0-255) off instead of 0.7; the trust below catches what it misses.
FLOW_SIDE = 128


class FastNet:
    """The two networks, compiled: style vectors from paintings and paintings from photos and vectors."""

    def __init__(self) -> None:
        from artgen.style.backend import compiled
        from artgen.style.magenta import build_predictor, build_transformer

        self._predict = compiled(build_predictor(), lambda net, x: net(x))
        self._transform = compiled(build_transformer(), lambda net, x, v: net([x, v]))

    def style_vector(self, picture: np.ndarray) -> np.ndarray:
        """(100,) float32: the style of ``picture`` ((H, W, 3), 0-255), from its centre square at 256 px."""
        square = crop_square(picture, STYLE_SIDE)[None] / np.float32(255)
        return np.asarray(self._predict(square), np.float32)[0]

    def paint(self, photos: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """(N, H, W, 3) float32 0-255 paintings of ``photos`` (N, H, W, 3, 0-255), one vector (N, 100) each.

        Sides are reflected out to multiples of 4 (the network halves twice
        and doubles twice) and at least 16, and cropped back.
        """
        height, width = photos.shape[1:3]
        padded_h, padded_w = _padded(height), _padded(width)
        x = np.asarray(photos, np.float32) / np.float32(255)
        if (padded_h, padded_w) != (height, width):
            pads = ((0, 0), (0, padded_h - height), (0, padded_w - width), (0, 0))
            x = np.pad(x, pads, mode="symmetric")
        out = np.asarray(self._transform(x, np.asarray(vectors, np.float32)))
        return out[:, :height, :width] * np.float32(255)


@functools.cache
def fast_net() -> FastNet:
    """One :class:`FastNet` a process: a batch, a clip and the studio build and compile once."""
    return FastNet()


def _padded(side: int) -> int:
    return max(16, -(-side // MULTIPLE) * MULTIPLE)


def crop_square(picture: np.ndarray, side: int) -> np.ndarray:
    """The centre square of ``picture`` resized to ``side`` px (float32), as Magenta's examples crop."""
    height, width = picture.shape[:2]
    edge = min(height, width)
    top, left = (height - edge) // 2, (width - edge) // 2
    square = np.clip(picture[top : top + edge, left : left + edge], 0, 255).astype(np.uint8)
    resized = Image.fromarray(square).resize((side, side), Image.Resampling.LANCZOS)
    return np.asarray(resized, np.float32)


def _array(im: Image.Image, size: tuple[int, int] | None = None) -> np.ndarray:
    if size is not None and im.size != size:
        im = im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return np.asarray(im, np.float32)


class _Styles:
    """The style vectors for one photo (or clip): blended, moved toward the photo's own by ``--strength``.

    With ``--preserve-colors`` the paintings are seen as their luminance
    matched to the photo's, so their vectors belong to that photo; otherwise
    they are kept in ``cache`` for the next photo of a batch.
    """

    def __init__(
        self, net: FastNet, config: StyleConfig, styles: list[np.ndarray], cache: dict | None
    ) -> None:
        self.net, self.config, self.styles = net, config, styles
        self.cache = None if config.preserve_colors else cache

    def vectors(self, photo: np.ndarray) -> list[np.ndarray]:
        """Per style, its vector for ``photo`` (float 0-255 RGB, as painted) at ``--strength``."""
        if self.config.preserve_colors:
            own = [color.match_luminance(style, photo) for style in self.styles]
            per_style = [self.net.style_vector(style) for style in own]
        elif self.cache is not None and STYLE_SIDE in self.cache:
            per_style = self.cache[STYLE_SIDE]
        else:
            per_style = [self.net.style_vector(style) for style in self.styles]
            if self.cache is not None:
                self.cache[STYLE_SIDE] = per_style
        strength = self.config.strength
        if strength < 1:
            photo_style = self.net.style_vector(photo)
            per_style = [strength * v + (1 - strength) * photo_style for v in per_style]
        return per_style

    def blended(self, photo: np.ndarray) -> np.ndarray:
        """One vector: the styles' weighted by ``--style-blend``."""
        weights = self.config.blend()
        return sum(w * v for w, v in zip(weights, self.vectors(photo), strict=True)).astype(np.float32)


def _painted(
    net: FastNet, config: StyleConfig, styles: _Styles, photo: np.ndarray, regions: RegionMasks | None
) -> np.ndarray:
    """uint8 RGB: ``photo`` (float 0-255 at the output's size) painted with colours and regions settled."""
    seen = color.luminance_image(photo).astype(np.float32) if config.preserve_colors else photo
    if regions is None:
        picture = net.paint(seen[None], styles.blended(seen)[None])[0]
    else:  # each style over the whole picture, laid in its region; the photo outside them
        vectors = np.stack(styles.vectors(seen))
        paintings = net.paint(np.repeat(seen[None], len(vectors), axis=0), vectors)
        height, width = photo.shape[:2]
        weights = regions.at((width, height))
        total = weights.sum(axis=0)
        shares = weights / np.maximum(total, 1)[None]
        picture = np.einsum("shw,shwc->hwc", shares, paintings)
        picture += (1 - np.minimum(total, 1))[..., None] * (
            color.luminance_image(photo) if config.preserve_colors else photo
        )
    rgb = np.clip(picture + 0.5, 0, 255).astype(np.uint8)
    return color.with_chroma_of(rgb, photo) if config.preserve_colors else rgb


def _run_size(config: StyleConfig, size: tuple[int, int], count: int, on_event: OnEvent) -> tuple[int, int]:
    """``size``, or the largest size of its shape whose ``count`` paintings fit in memory, said so."""
    import keras

    from artgen.style import memory
    from artgen.style.backend import device_memory

    device, _, available = device_memory()
    per_pixel = BYTES_PER_PIXEL.get(keras.backend.backend(), max(BYTES_PER_PIXEL.values())) * count
    width, height = size
    needed = per_pixel * _padded(width) * _padded(height)
    if needed <= MEMORY_SHARE * available:
        return size
    scale = math.sqrt(MEMORY_SHARE * available / needed)
    fitting = fit_size(width, height, max(MULTIPLE, int(max(width, height) * scale) // MULTIPLE * MULTIPLE))
    on_event(
        Message(
            f"a {width}x{height} painting needs about {memory.gb(needed)} but {memory.gb(available)} is free "
            f"on the {device}; painting at {fitting[0]}x{fitting[1]} and enlarging",
            "warning",
        )
    )
    return fitting


def start_picture(
    config: StyleConfig,
    content: Image.Image,
    styles: list[Image.Image],
    size: tuple[int, int],
    on_event: OnEvent = ignore_events,
) -> Image.Image:
    """The ``--method fast`` picture of ``content`` at ``size``, as ``--init fast`` starts from it."""
    net = fast_net()
    regions = RegionMasks.load(config, size)
    return Image.fromarray(_fast_picture(net, config, content, styles, size, regions, None, on_event))


def _fast_picture(
    net: FastNet,
    config: StyleConfig,
    content: Image.Image,
    styles: list[Image.Image],
    size: tuple[int, int],
    regions: RegionMasks | None,
    cache: dict | None,
    on_event: OnEvent,
) -> np.ndarray:
    run = _run_size(config, size, len(config.styles) if regions else 1, on_event)
    photo = _array(content, run)
    painted = _painted(net, config, _Styles(net, config, [_array(s) for s in styles], cache), photo, regions)
    if run == size:
        return painted
    enlarged = np.asarray(Image.fromarray(painted).resize(size, Image.Resampling.LANCZOS), np.float32)
    if regions is None:
        return np.clip(enlarged + 0.5, 0, 255).astype(np.uint8)
    # the photo itself outside the regions, not its enlarged copy
    union = regions.union(size)[..., None]
    mixed = union * enlarged + (1 - union) * _array(content, size)
    return np.clip(mixed + 0.5, 0, 255).astype(np.uint8)


def paint(
    config: StyleConfig,
    on_event: OnEvent = ignore_events,
    should_stop: ShouldStop = never_stop,
    *,
    style_cache: dict | None = None,
) -> StyleResult:
    """Paint ``config.content`` in one pass and write its PNG; ``style_cache``: a batch's style vectors.

    The output's name is held from the start until the picture is in place.
    """
    with contextlib.ExitStack() as held:
        return _paint(config, on_event, should_stop, style_cache, held)


def _paint(
    config: StyleConfig,
    on_event: OnEvent,
    should_stop: ShouldStop,
    style_cache: dict | None,
    held: contextlib.ExitStack,
) -> StyleResult:
    started = time.perf_counter()
    content = load_image(config.content, config.size)
    styles = [load_image(path, STYLE_READ_SIDE) for path in config.styles]
    size = fit_size(*content.size, config.size)
    regions = RegionMasks.load(config, size)
    for note in regions.notes if regions else ():
        on_event(Message(note, "warning"))
    out = held.enter_context(reserved_out(config.out, config.overwrite, lambda: default_out(config)))
    on_event(Message("painting with Magenta's arbitrary-style network (--method fast)"))
    net = fast_net()
    picture = _fast_picture(net, config, content, styles, size, regions, style_cache, on_event)
    stopped = should_stop()  # one pass: nothing to stop part way, and the picture is done
    images.save_png(out, picture)
    seconds = time.perf_counter() - started
    on_event(Progress(1, 1, unit="picture"))
    on_event(Preview(str(out), caption="final"))
    return StyleResult(out=out, losses={}, size=size, iterations=0, seconds=seconds, stopped=stopped)


class FastFramePainter:
    """Paints one clip's frames in order: each in one pass, then steadied by the last painted frame.

    The last painted frame, moved along the input's optical flow, makes up
    :data:`HOLD` of the new one wherever the moved input frame matches the
    new frame (a pixel that moved as the flow says and was not hidden); the
    rest, and everything with ``--temporal-weight 0``, is the network's own.
    The blend's strokes are then sharpened back to the network's contrast
    (:func:`_keep_contrast`).
    """

    def __init__(self, net: FastNet, config: StyleConfig, styles: list[np.ndarray], size: tuple[int, int]):
        self.net, self.config, self.size = net, config, size
        self.styles = _Styles(net, config, styles, None)
        self.stable = config.temporal_weight > 0
        self.vector: np.ndarray | None = None  # from the first frame: the photo's own style must not wander
        self.previous: tuple[np.ndarray, np.ndarray] | None = None  # (frame, painted), float32
        self.flicker = Flicker()
        self.dis = None  # OpenCV's DIS, made at the first frame pair

    def paint(self, frame: np.ndarray) -> np.ndarray:
        """The painted frame (uint8 RGB, ``size``) of ``frame`` (uint8 RGB, any size)."""
        if frame.shape[1::-1] != self.size:
            frame = np.asarray(Image.fromarray(frame).resize(self.size, Image.Resampling.LANCZOS))
        photo = frame.astype(np.float32)
        seen = color.luminance_image(photo).astype(np.float32) if self.config.preserve_colors else photo
        if self.vector is None:
            self.vector = self.styles.blended(seen)
        painted = self.net.paint(seen[None], self.vector[None])[0]
        motion = None
        if self.previous is not None:
            last_frame, last_painted = self.previous
            motion = self._motion(last_frame, photo)
            if self.stable:
                trust = HOLD * motion.confidence[..., None]
                painted = _keep_contrast(trust * motion.warp(last_painted) + (1 - trust) * painted, painted)
        self.previous = (photo, painted)
        rgb = np.clip(painted + 0.5, 0, 255).astype(np.uint8)
        if self.config.preserve_colors:
            rgb = color.with_chroma_of(rgb, photo)
        self.flicker.add(frame, rgb, motion)
        return rgb

    def _motion(self, before: np.ndarray, after: np.ndarray) -> flow.Motion:
        """The motion from ``before`` to ``after``, trusted where the moved ``before`` matches ``after``.

        One DIS flow (see :data:`FLOW_SIDE`) and a photometric check in place
        of the stable Gatys path's forward-backward one: a pixel hidden in
        ``before``, or changed by itself, does not match. The flicker figures
        of both ``--temporal-weight`` 0 and the filter follow this motion.
        """
        import cv2

        height, width = after.shape[:2]
        if self.dis is None:
            self.dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
            self.dis.setFinestScale(max(0, round(math.log2(max(height, width) / FLOW_SIDE))))
        grey = lambda picture: np.clip(picture @ LUMA + 0.5, 0, 255).astype(np.uint8)
        found = self.dis.calc(grey(after), grey(before), None)  # after[y, x] ~ before[y + dy, x + dx]
        change = np.abs(after - flow.warp(before, found)).mean(axis=-1)
        xs = np.arange(width, dtype=np.float32)[None] + found[..., 0]
        ys = np.arange(height, dtype=np.float32)[:, None] + found[..., 1]
        inside = (xs >= 0) & (xs <= width - 1) & (ys >= 0) & (ys <= height - 1)
        return flow.Motion(found, inside * np.exp(-np.square(change / CHANGE_LEVELS)).astype(np.float32))


def _keep_contrast(blended: np.ndarray, painted: np.ndarray) -> np.ndarray:
    """``blended`` with its strokes brought back to the contrast they have in ``painted``, pixel by pixel.

    The filter averages two sets of strokes that do not quite line up: the
    network paints strokes of a size in pixels, so a zoom or a sub-pixel
    pan moves them against the content, and an average of two textures is
    flatter than either. On a 128 px pan held at 0.7 the strokes lost a
    third of their contrast (mean gradient 37 -> 25); scaled back here, 35.
    """
    import cv2

    blur = lambda picture: cv2.GaussianBlur(picture, (0, 0), DETAIL_SIGMA)
    energy = lambda detail: blur(np.einsum("hwc,hwc->hw", detail, detail))
    base = blur(blended)
    strokes = blended - base
    gain = np.sqrt(energy(painted - blur(painted)) / np.maximum(energy(strokes), 1e-3))
    strokes *= np.clip(gain, 1, MAX_GAIN, out=gain)[..., None]
    return np.add(base, strokes, out=strokes)


def paint_clip(
    config: StyleConfig,
    clip: Clip,
    on_event: OnEvent = ignore_events,
    should_stop: ShouldStop = never_stop,
) -> SequenceResult:
    """Paint every frame of ``clip`` in one pass each and write the same kind; a stop writes what is done.

    The output's name (and its figures file's) is held from the start until the clip is in place.
    """
    with contextlib.ExitStack() as held:
        return _paint_clip(config, clip, on_event, should_stop, held)


def _paint_clip(
    config: StyleConfig, clip: Clip, on_event: OnEvent, should_stop: ShouldStop, held: contextlib.ExitStack
) -> SequenceResult:
    started = time.perf_counter()
    out = held.enter_context(reserved_clip_out(clip, config.out, config.styles, config.overwrite))
    stats = held.enter_context(runs.reserve(stats_path(out), overwrite=config.overwrite))
    size = fit_size(*clip.size, config.size)
    if _run_size(config, size, 1, ignore_events) != size:
        raise InputError(f"frames of {size[0]}x{size[1]} px do not fit in memory whole; use a smaller --size")
    styles = [_array(load_image(path, STYLE_READ_SIDE)) for path in config.styles]
    on_event(Message(f"{clip.describe()}; painting at {size[0]}x{size[1]} with --method fast"))
    painter = FastFramePainter(fast_net(), config, styles, size)
    work = Path(config.work_dir) if config.work_dir else Path(tempfile.mkdtemp(prefix="artgen-clip-"))
    previews = Previews(work, on_event, clip.count)
    frames = clip.frames()
    timing = _FrameTiming()
    first = painter.paint(next(frames))
    timing.done()
    previews.show(first, 1)
    stopped = False

    def painted() -> Iterator[np.ndarray]:
        nonlocal stopped
        for index, frame in enumerate(frames, start=2):
            if should_stop():
                stopped = True
                return
            result = painter.paint(frame)
            rate = timing.done()
            on_event(Progress(index, clip.count, unit="frame", rate=rate, rate_unit="frames/s"))
            if painter.flicker.ratio is not None:
                on_event(Metrics(index, {"flicker": painter.flicker.ratio}))
            previews.show(result, index)
            yield result

    on_event(Progress(1, clip.count, unit="frame"))
    palette = [first, *(_array(Image.fromarray(s.astype(np.uint8)), size).astype(np.uint8) for s in styles)]
    try:
        written = write_clip(clip, out, painted(), first, palette)
    finally:
        frames.close()
    if stopped:
        on_event(Message(f"stopped: wrote the {written} of {clip.count} frames painted so far", "warning"))
    figures = {
        "method": "fast",
        "frames": written,
        "of": clip.count,
        "fps": clip.fps,
        "size": list(size),
        "flicker": painter.flicker.ratio,
        "warped_flicker": painter.flicker.warped_ratio,
        "input_change": painter.flicker.input_change / max(painter.flicker.pairs, 1),
        "output_change": painter.flicker.output_change / max(painter.flicker.pairs, 1),
        "temporal_weight": config.temporal_weight,
        "cpu_seconds_per_frame": timing.cpu_per_frame,
        "seconds": round(time.perf_counter() - started, 2),
    }
    runs.write_json(stats, figures)
    if not config.work_dir:
        previews.remove()
    return SequenceResult(
        out=out,
        losses={},
        size=size,
        iterations=0,
        seconds=time.perf_counter() - started,
        stopped=stopped,
        frame_count=written,
        fps=clip.fps,
        flicker=painter.flicker.ratio,
        warped_flicker=painter.flicker.warped_ratio,
        stats=stats,
    )


class _FrameTiming:
    """Frames per second as painted (wall), and CPU seconds per frame after the first (which compiles)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.count = 0
        self.cpu_start: float | None = None
        self.cpu_per_frame: float | None = None

    def done(self) -> float:
        self.count += 1
        now = time.process_time()
        if self.cpu_start is None:
            self.cpu_start = now
        else:
            self.cpu_per_frame = round((now - self.cpu_start) / (self.count - 1), 4)
        return self.count / max(time.perf_counter() - self.started, 1e-9)

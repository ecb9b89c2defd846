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

Clips are painted by :mod:`artgen.style.fast_clips`.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time

import numpy as np
from PIL import Image

from artgen import backends, images
from artgen.events import Message, OnEvent, Preview, Progress, ShouldStop, ignore_events, never_stop
from artgen.style import color
from artgen.style.config import StyleConfig
from artgen.style.magenta import MULTIPLE, STYLE_SIDE
from artgen.style.pictures import StyleResult, default_out, fit_size, load_image, reserved_out
from artgen.style.regions import RegionMasks

__all__ = [
    "FastNet",
    "fast_net",
    "paint",
    "start_picture",
    "crop_square",
    "BYTES_PER_PIXEL",
]

STYLE_READ_SIDE = 2048  # paintings are read reduced to this at most: the predictor sees a 256 px square
# Peak bytes per pixel of one transformer pass, measured (fresh processes, 1024 and 2048 px squares: 230 and
# 200 under TensorFlow, 520 and 300 under JAX, whose compiling takes about 250 MB whatever the size), with a
# quarter more for the picture's arrays around it
BYTES_PER_PIXEL = {"tensorflow": 290, "jax": 400}
MEMORY_SHARE = 0.5  # of the free memory, what one picture may take (the machine is shared)


class FastNet:
    """The two networks, compiled: style vectors from paintings and paintings from photos and vectors."""

    def __init__(self, convolutions: str | None = None) -> None:
        """``convolutions``: the transformer's convolutions' dtype; by default the fastest here."""
        from artgen.style.magenta import MAGENTA_WEIGHTS, build_predictor, build_transformer
        from artgen.style.objective import compiled, convolution_dtype

        self.convolutions = convolutions or convolution_dtype()
        transformer = build_transformer(MAGENTA_WEIGHTS, self.convolutions)
        self._predict = compiled(build_predictor(), lambda net, x: net(x))
        self._transform = compiled(transformer, lambda net, x, v: net([x, v]))

    def style_vector(self, picture: np.ndarray) -> np.ndarray:
        """(100,) float32: the style of ``picture`` ((H, W, 3), 0-255), from its centre square at 256 px."""
        square = crop_square(picture, STYLE_SIDE)[None] / np.float32(255)
        return np.asarray(self._predict(square), np.float32)[0]

    def paint(self, photos: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """(N, H, W, 3) float32 0-255 paintings of ``photos`` (N, H, W, 3, 0-255), one vector (N, 100) each.

        Sides are reflected out to multiples of 4 (the network halves twice
        and doubles twice) and at least 16, and cropped back. One photo a
        pass: a batch of one is what TensorFlow's fused norm takes, and the
        cost is the pixels' either way.
        """
        height, width = photos.shape[1:3]
        padded_h, padded_w = _padded(height), _padded(width)
        x = np.asarray(photos, np.float32) / np.float32(255)
        if (padded_h, padded_w) != (height, width):
            pads = ((0, 0), (0, padded_h - height), (0, padded_w - width), (0, 0))
            x = np.pad(x, pads, mode="symmetric")
        vectors = np.asarray(vectors, np.float32)
        out = [np.asarray(self._transform(x[i : i + 1], vectors[i : i + 1]))[0] for i in range(len(x))]
        return np.stack(out)[:, :height, :width] * np.float32(255)


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


def picture_array(im: Image.Image, size: tuple[int, int] | None = None) -> np.ndarray:
    if size is not None and im.size != size:
        im = im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return np.asarray(im, np.float32)


class FastStyles:
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
    net: FastNet, config: StyleConfig, styles: FastStyles, photo: np.ndarray, regions: RegionMasks | None
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


def run_size(config: StyleConfig, size: tuple[int, int], count: int, on_event: OnEvent) -> tuple[int, int]:
    """``size``, or the largest size of its shape whose ``count`` paintings fit in memory, said so."""
    from artgen.style import memory

    device, _, available = memory.device_memory()
    per_pixel = BYTES_PER_PIXEL.get(backends.running(), max(BYTES_PER_PIXEL.values())) * count
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
    run = run_size(config, size, len(config.styles) if regions else 1, on_event)
    photo = picture_array(content, run)
    painted = _painted(
        net, config, FastStyles(net, config, [picture_array(s) for s in styles], cache), photo, regions
    )
    if run == size:
        return painted
    enlarged = np.asarray(Image.fromarray(painted).resize(size, Image.Resampling.LANCZOS), np.float32)
    if regions is None:
        return np.clip(enlarged + 0.5, 0, 255).astype(np.uint8)
    # the photo itself outside the regions, not its enlarged copy
    union = regions.union(size)[..., None]
    mixed = union * enlarged + (1 - union) * picture_array(content, size)
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

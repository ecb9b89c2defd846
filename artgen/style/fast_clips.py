"""Clips in one pass a frame (``--method fast`` on a GIF, WebP, MP4 or folder of frames).

Each frame is painted by the network, then blended with the last painted frame moved along the
input's optical flow, wherever the moved input frame matches the new one: a temporal filter that
settles the network's flicker between frames without smearing what moves.
"""

from __future__ import annotations

import contextlib
import math
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from artgen import runs
from artgen.errors import InputError
from artgen.events import Message, Metrics, OnEvent, Progress, ShouldStop, ignore_events, never_stop
from artgen.style import color, flow
from artgen.style.clips import Clip, hold_clip_outputs, write_clip
from artgen.style.config import StyleConfig
from artgen.style.fast import STYLE_READ_SIDE, FastNet, FastStyles, fast_net, picture_array, run_size
from artgen.style.pictures import fit_size, load_image
from artgen.style.sequence import Flicker, Previews, SequenceResult

__all__ = ["FastFramePainter", "paint_clip", "HOLD"]

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
        self.styles = FastStyles(net, config, styles, None)
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
    out, stats = hold_clip_outputs(clip, config.out, config.styles, config.overwrite, held)
    size = fit_size(*clip.size, config.size)
    if run_size(config, size, 1, ignore_events) != size:
        raise InputError(f"frames of {size[0]}x{size[1]} px do not fit in memory whole; use a smaller --size")
    styles = [picture_array(load_image(path, STYLE_READ_SIDE)) for path in config.styles]
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
    palette = [
        first,
        *(picture_array(Image.fromarray(s.astype(np.uint8)), size).astype(np.uint8) for s in styles),
    ]
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
        **painter.flicker.figures(),
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

"""Clips in one pass a frame (``--method fast`` on a GIF, WebP, MP4 or folder of frames).

Each frame is painted by the network, then blended with the last painted frame moved along the
input's optical flow wherever that flow is trusted: a temporal filter that settles the network's
flicker between frames without smearing what moves. The network paints the next frame on a
thread of its own while the filter steadies this one, so a clip keeps two cores busy.
"""

from __future__ import annotations

import contextlib
import itertools
import tempfile
import time
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import cv2
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
# so a frame's strokes are carried for about 1 / (1 - HOLD) frames. The network repaints a little
# differently at every frame however slowly the camera moves, so the slower the pan, the more that shows
# against the input's change: flicker along the flow on the 128 px pans of benchmarks/style_fast.py over
# 10 / 40 / 80 frames 0.06 / 0.13 / 0.23 held at 0.96, 0.05 / 0.11 / 0.21 at 0.97 (the stable Gatys path
# 0.08 / 0.14 / 0.23). Held longer, the strokes average with their own moved copies for longer and soften
# less than one might fear (contrast 29 at 0.97; the network's own 37, Gatys's 31), but the plain flicker
# of a pan, which counts contrast times motion, rises: over 10 frames 1.17 at 0.96, 1.18 at 0.97 (Gatys 1.20).
HOLD = 0.97
# The moved input missing the new frame by this many levels (0-255) trusts it e^-1: where something
# changed by itself. Twice the Gatys path's 12, which on a zooming pan distrusted every sharp edge, whose
# strokes were then repainted: flicker along the flow 0.16 at 12, 0.12 at 24, 0.10 without the check.
CHANGE_LEVELS = 24.0
# A clip's flow is found on the frames reduced to this long side at most, and enlarged. On the 512 px pan
# (benchmarks/style_fast.py) flicker along the flow was 0.18 with the flow found at 128 px, 0.13 at 192,
# 0.10 at 256, where DIS takes about 20 ms of CPU time a frame (half of it its variational refinement,
# without which the figure was 0.13).
FLOW_SIDE = 256
LUMA = np.array([0.299, 0.587, 0.114], np.float32)
# x264's speed preset for a painted MP4: on 48 frames of the 512 px pan 14 ms of CPU time a frame against
# 32 for its default ("medium"), the file 8% smaller, 0.16 levels (of 255) further from the frames.
MP4_PRESET = "veryfast"
FLICKER_ROWS = 4  # a clip's flicker figures are means over every 4th row: the same figures a quarter the work


class FastFramePainter:
    """Paints one clip's frames in order: each in one pass, then steadied by the last painted frame.

    The last painted frame, moved along the input's optical flow, makes up
    :data:`HOLD` of the new one wherever that flow is trusted (:class:`_Motion`:
    where the moved input frame matches the new one, so not where something
    was uncovered, came into view or changed by itself). The rest, and
    everything with ``--temporal-weight 0``, is the network's own. Nothing
    restores the strokes' contrast: held, they soften to about the Gatys
    path's (see :data:`HOLD`), and sharpening them back each frame changed
    the held strokes too, which is flicker along the flow.

    :meth:`network` and :meth:`steady` are the two halves of :meth:`paint`;
    :meth:`paint_all` runs the first on a thread of its own, a frame ahead.
    """

    def __init__(self, net: FastNet, config: StyleConfig, styles: list[np.ndarray], size: tuple[int, int]):
        self.net, self.config, self.size = net, config, size
        self.styles = FastStyles(net, config, styles, None)
        self.stable = config.temporal_weight > 0
        self.vector: np.ndarray | None = None  # from the first frame: the photo's own style must not wander
        # the last frame reduced for the flow, its painting (float32) and its output (uint8)
        self.previous: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.flicker = Flicker()
        self.motion = _Motion()

    def paint(self, frame: np.ndarray) -> np.ndarray:
        """The painted frame (uint8 RGB, ``size``) of ``frame`` (uint8 RGB, any size)."""
        return self.steady(*self.network(frame))

    def paint_all(self, frames: Iterable[np.ndarray]) -> Generator[np.ndarray, None, None]:
        """:meth:`paint` of each of ``frames`` in order, the network a frame ahead on a thread of its own.

        The network spends most of its time in the backend's own code, which
        lets go of Python's lock, so it paints one frame while this thread
        decodes, steadies, measures and encodes the one before. Frames are
        read here, in order. Closed early, it waits for the frame in hand.
        """
        with ThreadPoolExecutor(1, thread_name_prefix="artgen-fast-clip") as pool:
            ahead: Future | None = None
            for frame in frames:
                painting = pool.submit(self.network, frame)
                if ahead is not None:
                    yield self.steady(*ahead.result())
                ahead = painting
            if ahead is not None:
                yield self.steady(*ahead.result())

    def network(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(the frame at ``size``, it as float32, the network's painting of it): the frames in order."""
        if frame.shape[1::-1] != self.size:
            frame = picture_array(Image.fromarray(frame), self.size).astype(np.uint8)
        photo = frame.astype(np.float32)
        seen = color.luminance_image(photo).astype(np.float32) if self.config.preserve_colors else photo
        if self.vector is None:
            self.vector = self.styles.blended(seen)
        return frame, photo, self.net.paint(seen[None], self.vector[None])[0]

    def steady(self, frame: np.ndarray, photo: np.ndarray, painted: np.ndarray) -> np.ndarray:
        """The output (uint8 RGB) for the network's ``painting`` of ``frame``, steadied by the last one."""
        reduced = _reduced(photo)
        motion = moved = None
        if self.previous is not None:
            last_reduced, last_painted, last_rgb = self.previous
            motion = self.motion(last_reduced, reduced, photo.shape[:2])
            if self.stable:
                trust = HOLD * motion.confidence
                painted = cv2.blendLinear(motion.warp(last_painted), painted, trust, 1 - trust)
            moved = _moved_rows(last_rgb, motion, FLICKER_ROWS)
        rgb = cv2.convertScaleAbs(painted)  # rounded to uint8; the painting is within 0-255 already
        if self.config.preserve_colors:
            rgb = color.with_chroma_of(rgb, photo)
        self.previous = (reduced, painted, rgb)
        rows = (frame[::FLICKER_ROWS], rgb[::FLICKER_ROWS])
        if motion is None:
            self.flicker.add(*rows)
        else:
            confidence = motion.confidence[::FLICKER_ROWS]
            self.flicker.add(*rows, flow.Motion(motion.flow[::FLICKER_ROWS], confidence), moved)
        return rgb


def _reduced(photo: np.ndarray) -> np.ndarray:
    """``photo`` reduced to :data:`FLOW_SIDE` on its long side (as it is when no larger), for the flow."""
    height, width = photo.shape[:2]
    scale = FLOW_SIDE / max(height, width)
    if scale >= 1:
        return photo
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(photo, size, interpolation=cv2.INTER_AREA)


class _Motion:
    """The motion between consecutive reduced frames (:func:`_reduced`), and where the filter trusts it.

    One DIS flow, "fast" preset (Kroeger et al.; :mod:`artgen.style.flow`),
    and a photometric check in place of the stable Gatys path's two "medium"
    flows checked against each other: a pixel hidden in the earlier frame,
    or changed by itself, does not match its moved self. On the 128 px
    clips the filter flickered about as much along the flow either way (a
    40-frame pan 0.13 against 0.12) for 11 ms of CPU time a frame against 29.
    """

    def __init__(self) -> None:
        self.dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
        self.dis.setFinestScale(0)  # the frames are reduced already

    def __call__(self, before: np.ndarray, after: np.ndarray, size: tuple[int, int]) -> flow.Motion:
        """From reduced ``before`` to reduced ``after``, at the frames' ``size`` (height, width)."""
        grey = lambda picture: np.clip(picture @ LUMA + 0.5, 0, 255).astype(np.uint8)
        found = self.dis.calc(grey(after), grey(before), None)  # after[y, x] ~ before[y + dy, x + dx]
        change = np.abs(after - flow.warp(before, found)).mean(axis=-1)
        height, width = found.shape[:2]
        xs = np.arange(width, dtype=np.float32)[None] + found[..., 0]
        ys = np.arange(height, dtype=np.float32)[:, None] + found[..., 1]
        inside = (xs >= 0) & (xs <= width - 1) & (ys >= 0) & (ys <= height - 1)
        trust = (inside * np.exp(-np.square(change / CHANGE_LEVELS))).astype(np.float32)
        if (height, width) == size:
            return flow.Motion(found, trust)
        scale = np.array([size[1] / width, size[0] / height], np.float32)
        enlarged = cv2.resize(found, size[::-1], interpolation=cv2.INTER_LINEAR) * scale
        return flow.Motion(enlarged, cv2.resize(trust, size[::-1], interpolation=cv2.INTER_LINEAR))


def _moved_rows(picture: np.ndarray, motion: flow.Motion, step: int) -> np.ndarray:
    """``motion.warp(picture)[::step]``, computing only those rows."""
    height, width = motion.flow.shape[:2]
    rows = motion.flow[::step]
    xs = np.arange(width, dtype=np.float32)[None] + rows[..., 0]
    ys = np.arange(0, height, step, dtype=np.float32)[:, None] + rows[..., 1]
    source = np.asarray(picture, np.float32)
    return cv2.remap(source, xs, ys, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


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
    stream = painter.paint_all(frames)
    timing = _FrameTiming()
    first = next(stream)
    timing.done()
    previews.show(first, 1)
    stopped = False

    def painted() -> Iterator[np.ndarray]:
        nonlocal stopped
        for index in itertools.count(2):
            if should_stop():
                stopped = True
                return
            result = next(stream, None)
            if result is None:
                return
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
        written = write_clip(clip, out, painted(), first, palette, MP4_PRESET)
    finally:
        stream.close()
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

"""Writing animations and frames: GIF, WebP, MP4 and folders of PNG frames, streamed.

Each writer pulls frames from an iterator of (n, H, W, 3) uint8 batches and
writes them as they come, so a walk of 10,000 frames holds one batch in
memory, never the whole animation. Callers hand in a temporary path (an
empty folder for frames) and rename it into place (runs.atomic_path);
writers never see the final name.
"""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import itertools
import os
import re
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from PIL import GifImagePlugin, Image

from artgen.errors import MACHINE_ERRNOS, DependencyError

__all__ = ["write", "frame_durations", "gif_palette", "require_ffmpeg", "FRAME_NAME"]

Batches = Iterable[np.ndarray]
MP4_CRF = 10  # x264's constant rate factor: 0 lossless, 23 x264's default; lower keeps more detail
AAC_BITRATE = "192k"  # a soundtrack's AAC: transparent for most music at 44.1 kHz stereo
# ffmpeg's input options and file for a soundtrack, as artgen.audio.audio_input gives them
Soundtrack = tuple[str, Sequence[str]]
MP4_PRESET = "medium"  # x264's speed preset (its default): how hard it searches for a smaller file
FRAME_NAME = re.compile(r"frame-\d{5,}\.png")  # one frame of a folder of frames, its whole name


def write(
    kind: str,
    path: Path,
    batches: Batches,
    fps: float,
    total: int,
    sample: np.ndarray,
    soundtrack: Soundtrack | None = None,
) -> None:
    """Write ``total`` frames from ``batches`` to ``path`` as ``kind``.

    ``sample`` holds a few frames spread over the whole walk; the GIF palette is chosen from them.
    ``soundtrack`` (MP4 only) is muxed in as AAC, cut or padded with silence to the video's length.
    """
    if kind == "gif":
        write_gif(path, batches, fps, sample)
    elif kind == "webp":
        write_webp(path, batches, fps, total)
    elif kind == "mp4":
        write_mp4(path, batches, fps, soundtrack, total)
    else:
        write_frames(path, batches)


def frame_durations(fps: float, tick: float, start: int, count: int) -> list[int]:
    """Per-frame delays in units of ``tick`` seconds whose running sum tracks ``fps`` exactly.

    GIF counts in 1/100 s, so 24 fps alternates 4 and 5 hundredths (average 4.17)
    instead of drifting to 25 fps with a constant 4.
    """
    per_frame = 1.0 / (fps * tick)
    edges = np.round(np.arange(start, start + count + 1) * per_frame).astype(np.int64)
    return np.diff(edges).tolist()


def _frames(batches: Batches) -> Iterator[np.ndarray]:
    for batch in batches:
        yield from batch


def gif_palette(sample: np.ndarray) -> Image.Image:
    """One 256-colour palette for the whole animation, from frames spread across it.

    A global palette keeps colours from flickering between frames (per-frame
    palettes shift), and one pass is far cheaper than one per frame. On 16 frames
    of an emoji walk, fast octree had the lowest error of Pillow's quantizers
    (mean 2.6 levels per channel over all 120 frames, against 2.9 for maximum
    coverage and 3.4 for median cut) and takes 1 ms instead of 40 to 200.
    """
    stacked = Image.fromarray(np.ascontiguousarray(sample.reshape(-1, *sample.shape[2:])))
    return stacked.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)


def write_gif(
    path: Path,
    batches: Batches,
    fps: float,
    sample: np.ndarray,
    durations: Sequence[int] | None = None,
    loop: int = 0,
) -> None:
    """A GIF, written frame by frame with Pillow's GIF encoder; looping forever unless ``loop`` says.

    No dithering: error diffusion differs from frame to frame and shows as
    shimmer in an animation; the global palette already fits the walk's colours.
    ``durations`` (ms per frame) replace the even delays of ``fps``: a
    stylised GIF keeps its source's timing. ``loop`` is GIF's count of
    repeats (0: forever); 1 writes no loop extension (play once).
    """
    palette = gif_palette(sample)
    written = 0
    with open(path, "wb") as fp:
        for batch in batches:
            count, height, width, _ = batch.shape
            tall = Image.fromarray(np.ascontiguousarray(batch.reshape(count * height, width, 3)))
            indexed = tall.quantize(palette=palette, dither=Image.Dither.NONE)  # one call per batch
            if durations is None:
                delays = [delay * 10 for delay in frame_durations(fps, 0.01, written, count)]
            else:
                delays = list(durations[written : written + count])
            for i in range(count):
                frame = indexed.crop((0, i * height, width, (i + 1) * height))
                if written == 0:
                    info = {"optimize": False} | ({} if loop == 1 else {"loop": loop})
                    header, _ = GifImagePlugin.getheader(frame, info=info)
                    fp.write(b"".join(header))
                for chunk in GifImagePlugin.getdata(frame, duration=delays[i]):
                    fp.write(chunk)
                written += 1
        fp.write(b";")  # GIF trailer


class _LazyFrames:
    """Looks like a multi-frame image to Pillow's WebP encoder, decoding each frame as it seeks.

    Pillow's ``save_all`` takes ``append_images`` as a list; passing one object
    with ``n_frames`` and ``seek`` lets the encoder pull frames one at a time.
    """

    def __init__(self, frames: Iterator[np.ndarray], n_frames: int) -> None:
        self.n_frames = n_frames
        self._frames = frames
        self._index = -1
        self._current: Image.Image | None = None

    def seek(self, index: int) -> None:
        if index != self._index:
            self._current = Image.fromarray(next(self._frames))
            self._index = index

    def tell(self) -> int:
        return self._index

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current, name)


def write_webp(
    path: Path,
    batches: Batches,
    fps: float,
    total: int,
    quality: int = 90,
    durations: Sequence[int] | None = None,
    loop: int = 0,
) -> None:
    """A looping animated WebP, lossy at quality 90: a third of lossless' size and ten times faster.

    libwebp merges a frame that is visually identical to the one before into one
    longer frame, so a near-still walk can read back with fewer frames; the timing is kept.
    ``durations`` (ms per frame, read as each frame is added) replace ``fps``'s even delays.
    """
    frames = _frames(batches)
    first = Image.fromarray(next(frames))
    first.save(
        path,
        format="WEBP",
        save_all=True,
        append_images=[_LazyFrames(frames, total - 1)],
        duration=frame_durations(fps, 0.001, 0, total) if durations is None else durations,
        loop=loop,
        quality=quality,
        method=4,
    )


def write_mp4(
    path: Path,
    batches: Batches,
    fps: float,
    soundtrack: Soundtrack | None = None,
    total: int = 0,
    preset: str = MP4_PRESET,
) -> None:
    """H.264 in MP4 by the ffmpeg that imageio-ffmpeg bundles, fed raw frames; padded to even sides.

    With a ``soundtrack``, ffmpeg reads it beside the frames and encodes it as AAC, padded with
    silence or cut to the duration of ``total`` frames (all the batches hold), so sound and picture
    end together. ``preset``: x264's speed preset; a faster one spends less CPU time for a slightly
    larger file.

    ffmpeg writes the file, so a write error (a full disk, often met only
    after the last frame, when it writes the index) ends ffmpeg rather than
    raising here: its exit status is checked, and read back as the error it
    stands for, so the failure is reported as any other write's would be.
    """
    require_ffmpeg()
    if soundtrack is not None and total < 1:
        raise ValueError("a soundtrack is cut to the video's length: give the frame count")
    import imageio_ffmpeg

    frames = (_even_sides(frame) for frame in _frames(batches))
    first = next(frames, None)
    if first is None:
        return
    height, width = first.shape[:2]
    rate = Fraction(fps).limit_denominator()
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        *("-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}"),
        *("-r", str(rate), "-i", "-", *_sound(soundtrack, total / rate)),
        *("-vcodec", "libx264", "-preset", preset, "-pix_fmt", "yuv420p", "-crf", str(MP4_CRF)),
        *("-f", "mp4", str(path)),
    ]
    # its own session: Ctrl-C at the terminal reaches artgen, which then stops ffmpeg itself
    ffmpeg = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, start_new_session=True
    )
    try:
        status = _feed(ffmpeg, itertools.chain([first], frames))
    except BaseException:  # interrupted or stopped: no file is wanted
        ffmpeg.kill()
        ffmpeg.wait()
        raise
    if status != 0:
        raise _ffmpeg_failure(status, path)


def _sound(soundtrack: Soundtrack | None, duration: Fraction) -> list[str]:
    """ffmpeg's options for the soundtrack's input and its AAC stream; ``-an`` (no sound) without one."""
    if soundtrack is None:
        return ["-an"]
    source, options = soundtrack
    return [
        *options,
        *("-i", source, "-map", "0:v:0", "-map", "1:a:0", "-c:a", "aac", "-b:a", AAC_BITRATE),
        *("-af", "apad", "-t", f"{float(duration):.6f}"),
    ]


def _even_sides(frame: np.ndarray) -> np.ndarray:
    """yuv420p needs even sides: an odd one gains a white row or column."""
    height, width = frame.shape[:2]
    if height % 2 or width % 2:
        return np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)), constant_values=255)
    return np.ascontiguousarray(frame)


def _feed(ffmpeg: subprocess.Popen[bytes], frames: Iterable[np.ndarray]) -> int:
    """Write every frame to ffmpeg's input, then its exit status; it may end early (a write error)."""
    assert ffmpeg.stdin is not None
    try:
        for frame in frames:
            ffmpeg.stdin.write(frame.data)
        ffmpeg.stdin.close()
    except BrokenPipeError:  # ffmpeg ended early: its status says why
        with contextlib.suppress(OSError):
            ffmpeg.stdin.close()
    return ffmpeg.wait()


def _ffmpeg_failure(status: int, path: Path) -> OSError:
    """The error an ffmpeg exit status stands for.

    ffmpeg exits with its error code, which for a system error is minus the
    errno, so the status is ``256 - errno``: 228 on a full disk. The errors
    of a device (full, failing, read-only) are read back; any other status,
    or a signal, leaves the file incomplete (EPIPE: its writer ended).
    """
    code = 256 - status if 128 < status < 256 else None
    if code is not None and code in MACHINE_ERRNOS:
        return OSError(code, os.strerror(code), str(path))
    return OSError(errno.EPIPE, f"ffmpeg ended with status {status} before the file was complete", str(path))


def require_ffmpeg() -> None:
    """Fail before any work when MP4 output cannot be written."""
    if importlib.util.find_spec("imageio_ffmpeg") is None:
        raise DependencyError(
            "MP4 output needs imageio-ffmpeg, which artgen depends on: pip install imageio-ffmpeg"
        )


def write_frames(path: Path, batches: Batches) -> None:
    """A folder of ``frame-00000.png``, ... into the empty folder ``path`` (the caller's temporary).

    Names :data:`FRAME_NAME` matches: all an old folder may hold for ``--overwrite`` to replace it.
    """
    for index, frame in enumerate(_frames(batches)):
        Image.fromarray(frame).save(path / f"frame-{index:05d}.png", format="PNG")

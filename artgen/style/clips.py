"""Animations as style-transfer content: recognising one, reading its frames one at a time, writing them back.

An animated GIF or WebP (more than one frame), a video (.mp4, .mov, .webm,
.mkv, .avi, .m4v) or, with ``--sequence``, a folder of frames in name order
is a clip. Frames are decoded one at a time and written through the walk's
streaming writers (:mod:`artgen.media`), so a clip of any length holds
a frame or two in memory, never the whole clip. The output is the input's
kind (a video becomes an MP4) at the input's frame rate; a GIF or WebP keeps
its per-frame delays and its loop count.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from artgen import images, media, runs
from artgen.errors import DependencyError, InputError, os_error_reason

__all__ = [
    "Clip",
    "open_clip",
    "output_suffix",
    "default_clip_out",
    "reserved_clip_out",
    "hold_clip_outputs",
    "check_clip_out",
    "write_clip",
    "stats_path",
]

ANIMATED_FORMATS = {"GIF": "gif", "WEBP": "webp"}
DEFAULT_DELAY_MS = 100  # what browsers show for a GIF frame without a delay
OUT_SUFFIXES = {"gif": ".gif", "webp": ".webp", "mp4": ".mp4", "frames": ""}


@dataclass(frozen=True)
class Clip:
    """An animation to paint: where it is, what kind it is and how it is timed."""

    path: Path
    kind: str  # gif, webp, mp4 or frames: also the kind written
    count: int  # frames
    size: tuple[int, int]  # (width, height) of its frames
    fps: float | None  # None for a folder of frames
    durations: tuple[int, ...] | None = None  # per-frame delays in ms (GIF, WebP)
    loop: int = 0  # plays: 0 forever (GIF, WebP)
    files: tuple[Path, ...] = ()  # a folder's frames, in order
    skipped: tuple[tuple[str, str], ...] = ()  # a folder's unusable files, with reasons

    def frames(self) -> Iterator[np.ndarray]:
        """(H, W, 3) uint8 RGB frames, decoded one at a time."""
        if self.kind == "frames":
            for path in self.files:
                yield np.asarray(_frame_file(path, self.size))
        elif self.kind == "mp4":
            yield from _video_frames(self.path)
        else:
            yield from _animation_frames(self.path, self.count)

    def describe(self) -> str:
        rate = f" at {self.fps:.3g} fps" if self.fps else ""
        return f"{self.path.name}: {self.count} frames of {self.size[0]}x{self.size[1]}{rate}"


def open_clip(path: str | os.PathLike[str], sequence: bool = False) -> Clip | None:
    """The clip at ``path``, or None when it is a still picture (or a folder without ``sequence``).

    Anything that is neither is left to the still path, which says why it cannot be read.
    """
    path = Path(path)
    if path.is_dir():
        return _frames_folder(path) if sequence else None
    if sequence:
        raise InputError(f"--sequence reads a folder of frames; {path} is not a folder")
    if path.suffix.lower() in images.VIDEO_SUFFIXES:
        return _video(path)
    try:
        with images.open_image(path) as im:
            kind = ANIMATED_FORMATS.get(im.format or "")
            if kind is None or getattr(im, "n_frames", 1) < 2:
                return None
    except images.UnusableImage:
        return None  # not an image, or unreadable: the still path names the reason
    return _animated(path, kind)


def _animated(path: Path, kind: str) -> Clip:
    """An animated GIF or WebP; its delays are read by seeking through it (decoding, keeping nothing)."""
    try:
        with images.open_image(path) as im:
            count, loop = im.n_frames, int(im.info.get("loop", 1 if kind == "gif" else 0))
            durations = []
            for index in range(count):
                im.seek(index)
                im.load()  # WebP tells a frame's duration only once it is decoded
                durations.append(int(im.info.get("duration") or DEFAULT_DELAY_MS))
            size = im.size
    except images.UnusableImage as exc:
        raise InputError(f"{path}: unreadable animation ({exc})") from None
    fps = 1000 * count / sum(durations)
    # a GIF without a loop extension plays once: "loop" 1 here, written back as such
    return Clip(path, kind, count, size, fps, tuple(durations), loop)


def _animation_frames(path: Path, count: int) -> Iterator[np.ndarray]:
    try:
        with images.open_image(path) as im:
            for index in range(count):
                im.seek(index)
                yield np.asarray(_rgb(im))
    except images.UnusableImage as exc:
        raise InputError(f"{path}: unreadable animation ({exc})") from None


def _video(path: Path) -> Clip:
    """A video, read by ffmpeg alone, with its suffix's demuxer only: its header, then its frames counted."""
    _require_ffmpeg("reading video")
    import imageio_ffmpeg

    try:
        source, options = images.video_input(path)
    except OSError as exc:
        raise InputError(f"{path}: {os_error_reason(exc)[1]}") from None
    reader = imageio_ffmpeg.read_frames(source, input_params=options)
    try:
        meta = next(reader)
    except Exception as exc:  # noqa: BLE001  ffmpeg's failures on a damaged file come as any of several types
        raise InputError(f"{path}: unreadable video ({_first_line(exc)})") from None
    finally:
        reader.close()
    count = _count_frames(path, source, options)
    if count < 2:
        raise InputError(f"{path}: a video needs at least 2 frames, this one has {count}")
    width, height = meta["size"]
    return Clip(path, "mp4", count, (int(width), int(height)), float(meta.get("fps") or 24))


def _count_frames(path: Path, source: str, options: list[str]) -> int:
    """The frames ffmpeg decodes from the video's first video stream (decoded, written nowhere)."""
    import imageio_ffmpeg

    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", *options, "-i", source]
    done = subprocess.run([*command, "-map", "0:v:0", "-f", "null", "-"], capture_output=True, check=False)
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(f"{path}: unreadable video ({reason[-1] if reason else 'ffmpeg failed'})")
    counted = re.findall(rb"frame=\s*(\d+)", done.stderr)
    return int(counted[-1]) if counted else 0


def _video_frames(path: Path) -> Iterator[np.ndarray]:
    import imageio_ffmpeg

    source, options = images.video_input(path)
    reader = imageio_ffmpeg.read_frames(source, input_params=options)
    try:
        width, height = next(reader)["size"]
        for frame in reader:
            yield np.frombuffer(frame, np.uint8).reshape(height, width, 3)
    except Exception as exc:  # noqa: BLE001  a video damaged past its header fails part way, as anything
        raise InputError(f"{path}: unreadable video ({_first_line(exc)})") from None
    finally:
        reader.close()


def _frames_folder(folder: Path) -> Clip:
    """A folder's frames, each decoded once here so that an unusable one is skipped, not met mid-clip."""
    usable, skipped, size = [], [], (0, 0)
    for path in sorted(images.list_images(folder), key=_natural):
        try:
            picture = images.open_rgb(path)
        except images.UnusableImage as exc:
            skipped.append((str(path), str(exc)))
            continue
        size = size if usable else picture.size
        usable.append(path)
    if len(usable) < 2:
        unusable = f" ({images.describe_skipped(skipped)})" if skipped else ""
        raise InputError(
            f"{folder}: --sequence needs a folder of at least 2 frames, found {len(usable)}{unusable}"
        )
    return Clip(folder, "frames", len(usable), size, None, files=tuple(usable), skipped=tuple(skipped))


def _frame_file(path: Path, size: tuple[int, int]) -> Image.Image:
    """A folder's frame at the first frame's size, so every frame of a clip has one shape."""
    try:
        im = images.open_rgb(path)
    except images.UnusableImage as exc:
        raise InputError(f"{path}: {exc}") from None
    return im if im.size == size else im.resize(size, Image.Resampling.LANCZOS)


def _natural(path: Path) -> list:
    """frame-2 before frame-10: digits compare as numbers."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", str(path))]


def _rgb(im: Image.Image) -> Image.Image:
    """One decoded frame as RGB, transparency on white (as :func:`artgen.images.open_rgb` does)."""
    if im.mode in ("RGBA", "LA", "P", "PA") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return im.convert("RGB")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _require_ffmpeg(what: str) -> None:
    if importlib.util.find_spec("imageio_ffmpeg") is None:
        raise DependencyError(f"{what} needs imageio-ffmpeg: pip install imageio-ffmpeg")


def output_suffix(clip: Clip) -> str:
    """The written kind's extension; "" for a folder of frames."""
    return OUT_SUFFIXES[clip.kind]


def default_clip_out(
    clip: Clip, styles: Iterable[str], folder: Path | None = None
) -> AbstractContextManager[Path]:
    """``<content>_<style>.<kind>`` (or a folder) in ``folder`` (the working directory), numbered; held."""
    name = clip.path.name if clip.kind == "frames" else clip.path.stem
    stem = f"{name}_{'+'.join(Path(style).stem for style in styles)}"
    return runs.reserve_free(
        folder or Path.cwd(),
        stem,
        output_suffix(clip),
        kind=_out_kind(clip),
        taken=lambda path: stats_path(path).exists(),
    )


def reserved_clip_out(
    clip: Clip, out: str | None, styles: Iterable[str], overwrite: bool
) -> AbstractContextManager[Path]:
    """``-o`` as given (checked, then held), or the default name (held)."""
    if out is None:
        return default_clip_out(clip, styles)
    check_clip_out(clip, Path(out))
    replaces = media.FRAME_NAME if clip.kind == "frames" else None
    return runs.reserve(out, kind=_out_kind(clip), replaces=replaces, overwrite=overwrite)


def hold_clip_outputs(
    clip: Clip, out: str | None, styles: Iterable[str], overwrite: bool, held: ExitStack
) -> tuple[Path, Path]:
    """The clip's output and its figures file (``OUT.json``), both held in ``held`` until it closes."""
    path = held.enter_context(reserved_clip_out(clip, out, styles, overwrite))
    return path, held.enter_context(runs.reserve(stats_path(path), overwrite=overwrite))


def _out_kind(clip: Clip) -> str:
    """A folder of frames is built whole and renamed into place; anything else is a file."""
    return "folder" if clip.kind == "frames" else "file"


def check_clip_out(clip: Clip, out: Path) -> None:
    """``out`` must be the clip's own kind, and not the clip itself."""
    suffix = out.suffix.lower()
    if clip.kind == "frames":
        if suffix in (".png", ".gif", ".webp", *images.VIDEO_SUFFIXES):
            raise InputError(f"-o {out}: a folder of frames is written as a folder; give a folder name")
    elif suffix != output_suffix(clip):
        wanted = output_suffix(clip)
        raise InputError(
            f"-o {out}: {clip.path.name} is written as {wanted} (its own kind); end -o with {wanted}"
        )
    if out.resolve() == clip.path.resolve():
        raise InputError(f"-o {out} is the content itself; choose another -o")


def stats_path(out: Path) -> Path:
    """Where a stylised clip's figures (flicker, frames, scores) are written: ``OUT.json`` beside it."""
    return out.with_name(out.name + ".json")


def write_clip(
    clip: Clip,
    out: Path,
    frames: Iterator[np.ndarray],
    first: np.ndarray,
    palette_from: list[np.ndarray],
    mp4_preset: str = media.MP4_PRESET,
) -> int:
    """Write ``first``, then ``frames`` (uint8 RGB), to ``out`` as the clip's kind, atomically.

    ``palette_from`` (pictures of the output's size) chooses a GIF's one
    palette: the first stylised frame and the style images, whose colours
    the rest of the clip takes on. ``frames`` may end early (a stop): what
    came is written as a complete, valid animation. ``mp4_preset``: x264's
    speed preset for a video. Returns how many frames were written.
    """
    written = 0

    def counted() -> Iterator[np.ndarray]:
        nonlocal written
        for frame in _chain(first, frames):
            written += 1
            yield frame[None]

    with runs.atomic_path(out, folder=clip.kind == "frames") as tmp:
        if clip.kind == "gif":
            sample = np.stack(palette_from)
            media.write_gif(tmp, counted(), clip.fps, sample, durations=clip.durations, loop=clip.loop)
        elif clip.kind == "webp":
            _write_webp(tmp, counted(), clip)
        elif clip.kind == "mp4":
            media.write_mp4(tmp, counted(), clip.fps, preset=mp4_preset)
        else:
            media.write_frames(tmp, counted())
    return written


def _chain(first: np.ndarray, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    yield first
    yield from rest


def _write_webp(path: Path, batches: Iterator[np.ndarray], clip: Clip) -> None:
    """The clip's WebP, with its delays; a stop shortens it.

    Pillow's WebP encoder asks for the frame count before the first frame, so
    after a stop the last frame is repeated, 1 ms each, for the frames never
    painted (libwebp merges identical frames): the file plays what was painted.
    """
    durations = list(clip.durations or ())
    painted = (frame for batch in batches for frame in batch)
    last = None

    def padded() -> Iterator[np.ndarray]:
        nonlocal last
        for index in range(clip.count):
            frame = next(painted, None)
            if frame is None:
                durations[index:] = [1] * (clip.count - index)
                frame = last
            last = frame
            yield frame[None]

    media.write_webp(path, padded(), clip.fps, clip.count, durations=durations, loop=clip.loop)

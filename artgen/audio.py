"""Reading a music track: decoded to mono samples by the ffmpeg that imageio-ffmpeg bundles.

A track is read as a video is (:func:`artgen.images.video_input`): only a
regular file (:mod:`artgen.files`: never a pipe that would wait forever),
only by the one ffmpeg demuxer its suffix names, with ffmpeg's protocols
limited to local files, so a playlist saved as ``song.mp3`` is refused rather
than followed to what it names. The samples come back through a pipe as raw
32-bit floats, resampled to :data:`ANALYSIS_RATE` and mixed to mono: all
that an onset or loudness envelope needs, at a quarter of a CD's memory.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from artgen.errors import DependencyError, InputError, os_error_reason
from artgen.files import regular_file

__all__ = ["AUDIO_DEMUXERS", "AUDIO_SUFFIXES", "ANALYSIS_RATE", "Track", "audio_input", "read_track"]

AUDIO_DEMUXERS = {".wav": "wav", ".mp3": "mp3", ".flac": "flac", ".ogg": "ogg"}
AUDIO_SUFFIXES = frozenset(AUDIO_DEMUXERS)
ANALYSIS_RATE = 22_050  # Hz: half a CD's rate still holds everything up to 11 kHz, where onsets show


@dataclass(frozen=True)
class Track:
    """A decoded track: ``samples`` is float32 mono in [-1, 1] at ``rate`` Hz."""

    path: Path
    samples: np.ndarray
    rate: int

    @property
    def duration(self) -> float:
        """Seconds of sound, counted in decoded samples (a header's claim is not trusted)."""
        return len(self.samples) / self.rate


def audio_input(path: str | os.PathLike[str]) -> tuple[str, list[str]]:
    """The resolved file and the ffmpeg input options that read the track at ``path``.

    Raises ``OSError`` for a file that is not regular, :class:`InputError` for a suffix no track has.
    """
    demuxer = AUDIO_DEMUXERS.get(Path(path).suffix.lower())
    if demuxer is None:
        raise InputError(f"{path} is not an audio file ({', '.join(sorted(AUDIO_SUFFIXES))})")
    source = os.path.realpath(regular_file(path))
    return source, ["-f", demuxer, "-protocol_whitelist", "file"]


def read_track(path: str | os.PathLike[str], longest: float, rate: int = ANALYSIS_RATE) -> Track:
    """The track at ``path`` decoded whole, refused in one line if it cannot be used.

    Refused (``InputError``): a missing file, a pipe or device, a suffix that is not a track's, a file
    ffmpeg cannot decode or that has no audio stream, no sound at all, or more than ``longest`` seconds
    (decoding stops just past that, so an hours-long file costs no more than the limit).
    """
    if importlib.util.find_spec("imageio_ffmpeg") is None:
        raise DependencyError("reading audio needs imageio-ffmpeg: pip install imageio-ffmpeg")
    import imageio_ffmpeg

    try:
        source, options = audio_input(path)
    except OSError as exc:
        raise InputError(f"{path}: {os_error_reason(exc)[1]}") from None
    if os.path.getsize(source) == 0:
        raise InputError(f"{path}: the file is empty")
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        *("-hide_banner", "-nostdin", "-v", "error", *options, "-i", source),
        *("-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(rate), "-t", f"{longest + 1:.3f}"),
        *("-f", "f32le", "-"),
    ]
    done = subprocess.run(command, capture_output=True, check=False)
    unreadable = f"{path}: not a readable {Path(path).suffix[1:].upper()} track"
    if done.returncode != 0:
        raise InputError(f"{unreadable} ({_reason(done, source)})")
    samples = np.frombuffer(done.stdout, dtype="<f4").astype(np.float32)
    track = Track(Path(source), samples, rate)
    if not len(samples):
        raise InputError(f"{path}: the track is empty (no sound to decode)")
    if not np.isfinite(samples).all():
        raise InputError(f"{unreadable} (samples out of range)")
    if track.duration > longest:
        raise InputError(
            f"{path}: the track is longer than {_minutes(longest)}, the most one walk holds at this --fps; "
            "lower --fps or cut the track"
        )
    return track


def _reason(done: subprocess.CompletedProcess[bytes], source: str) -> str:
    """ffmpeg's last line of complaint, without the path it starts with."""
    lines = [line.strip() for line in done.stderr.decode(errors="replace").splitlines() if line.strip()]
    if not lines:
        return f"ffmpeg ended with status {done.returncode}"
    if any("matches no streams" in line for line in lines):
        return "no audio stream"
    return lines[-1].removeprefix(f"{source}: ").removeprefix("Error opening input files: ")[:200]


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"

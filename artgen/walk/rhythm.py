"""Walks that move with music: a track's beats and loudness, per video frame, become the walk's pace.

A walk's path maps a phase in [0, 1) to latents (:class:`artgen.walk.path.KeyframePath`: phase 0 is
the first keyframe, the walk passes the others in order, and phase 1 would be the first again). A
plain walk sits at phase ``f / N`` in frame ``f``: an even pace. Here the music re-times that and
nothing else, so any path can be driven by it:

1. an **onset envelope**: spectral flux (how much each band of a log-mel spectrogram rose since the
   last hop, rises only) at 86 hops a second, its peak within each video frame;
2. a **loudness envelope**: each video frame's RMS in decibels, over the 40 dB below the track's
   loud level;
3. a **speed** per frame: the two mixed (``beat_weight``), each peak held and faded over ``release``
   seconds so a beat is a push rather than a one-frame twitch, blended with an even pace
   (``reactivity``), and scaled to a mean of 1;
4. a **phase** per frame: the speed summed up to and including the frame, over the whole walk's
   sum, starting from 0. A frame's step from the one before is its own speed, so the picture moves
   on the frame where the beat falls; the last frame stops one step short of 1, the first again,
   so the loop still closes without a jump.

Backend-free numpy: no model, no Keras.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from artgen import audio
from artgen.errors import InputError

__all__ = [
    "Rhythm",
    "read_music",
    "rhythm",
    "onset_envelope",
    "loudness_envelope",
    "speed",
    "phases",
]

N_FFT = 1024  # samples per spectrum: 46 ms at 22.05 kHz, short enough to place a beat within a frame
HOP = 256  # 11.6 ms between spectra: 86 a second, several per video frame below 86 fps
# A Hann window's log spectrum rises most while a sound is still a quarter window ahead of its
# centre: on clicks, flux peaked 11.5 ms (6 to 17 ms) before them. Each spectrum is placed that late.
LATENCY = N_FFT // 4
MELS = 64  # bands of the log-mel spectrogram
LOWEST_HZ = 30.0  # the lowest band's bottom: a kick drum's fundamental
LOG_FLOOR = 1e-3  # -60 dB of a full-scale sine: quieter than this hardly moves the log spectrum
CHUNK = 4096  # spectra computed at once (16 MB of float32): a long track's memory stays bounded
LOUDNESS_RANGE_DB = 40.0  # loudness 0 is this far below the track's loud level; 1 is that level
LOUD_PERCENTILE = 99.0  # the track's loud level, and its strongest onsets: robust to a single spike
ONSET_FLOOR = 0.05  # flux counted as a beat at its weakest: a steady tone's ripple stays near 0
SLOWEST = 1e-3  # the slowest a frame moves, as a share of the mean: the walk never stops outright


@dataclass(frozen=True)
class Rhythm:
    """Per video frame: onset and loudness envelopes in [0, 1], speed (mean 1), phase in [0, 1)."""

    onset: np.ndarray
    loudness: np.ndarray
    speed: np.ndarray
    phase: np.ndarray

    @property
    def frames(self) -> int:
        return len(self.phase)


def read_music(path: str | os.PathLike[str], fps: float, max_frames: int) -> audio.Track:
    """The track at ``path`` decoded, refused in one line if it makes no walk at ``fps``.

    Its length sets the walk's: ``round(duration * fps)`` frames, at least 2, at most ``max_frames``.
    """
    track = audio.read_track(path, longest=(max_frames + 0.49) / fps)
    frames = frame_count(track.duration, fps)
    if frames < 2:
        raise InputError(
            f"{path}: {track.duration:.3f} s of sound makes {frames} frame at --fps {fps:g}; "
            "a walk needs at least 2: raise --fps or use a longer track"
        )
    return track


def frame_count(duration: float, fps: float) -> int:
    """Frames of a walk as long as ``duration`` seconds: within half a frame of the sound."""
    return round(duration * fps)


def rhythm(track: audio.Track, fps: float, reactivity: float, beat_weight: float, release: float) -> Rhythm:
    """The walk's timing for ``track`` at ``fps``: its envelopes, speed and phase, one per frame."""
    frames = frame_count(track.duration, fps)
    onset = onset_envelope(track.samples, track.rate, fps, frames)
    loudness = loudness_envelope(track.samples, track.rate, fps, frames)
    pace = speed(onset, loudness, reactivity, beat_weight, release * fps)
    return Rhythm(onset, loudness, pace, phases(pace))


def onset_envelope(samples: np.ndarray, rate: int, fps: float, frames: int) -> np.ndarray:
    """Per video frame, the strongest spectral flux within it, over the track's strong onsets: [0, 1]."""
    flux = spectral_flux(samples, rate)
    times = (np.arange(len(flux)) * HOP + LATENCY) / rate
    starts = np.searchsorted(times, np.arange(frames) / fps)
    per_frame = np.maximum.reduceat(flux, np.minimum(starts, len(flux) - 1))
    strong = max(float(np.percentile(per_frame, LOUD_PERCENTILE)), ONSET_FLOOR)
    return np.clip(per_frame / strong, 0.0, 1.0)


def spectral_flux(samples: np.ndarray, rate: int) -> np.ndarray:
    """Per hop, the mean over mel bands of how much each band's log magnitude rose since the last hop."""
    half = N_FFT // 2
    padded = np.pad(samples.astype(np.float32), (half, half))
    hops = 1 + max(len(padded) - N_FFT, 0) // HOP
    windows = sliding_window_view(padded, N_FFT)[::HOP][:hops]
    taper = np.hanning(N_FFT).astype(np.float32)
    bank = mel_filters(rate)
    floor = LOG_FLOOR * N_FFT / 4  # a full-scale sine's peak magnitude under a Hann window is N/4
    log_mel = np.empty((hops, MELS), np.float32)
    for start in range(0, hops, CHUNK):
        spectrum = np.abs(np.fft.rfft(windows[start : start + CHUNK] * taper, axis=1))
        log_mel[start : start + CHUNK] = np.log1p((spectrum @ bank.T) / floor)
    rise = np.diff(log_mel, axis=0, prepend=log_mel[:1])
    return np.maximum(rise, 0.0).mean(axis=1)


def mel_filters(rate: int) -> np.ndarray:
    """(MELS, N_FFT/2 + 1) triangular filters evenly spaced in mels from :data:`LOWEST_HZ` to Nyquist."""

    def mel(hz: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    edges_mel = np.linspace(mel(np.array(LOWEST_HZ)), mel(np.array(rate / 2)), MELS + 2)
    edges = 700.0 * (10 ** (edges_mel / 2595.0) - 1.0)
    bins = np.fft.rfftfreq(N_FFT, 1.0 / rate)
    low, centre, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins - low) / (centre - low)
    falling = (high - bins) / (high - centre)
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


def loudness_envelope(samples: np.ndarray, rate: int, fps: float, frames: int) -> np.ndarray:
    """Per video frame, its RMS level in dB mapped from 40 dB below the track's loud level (0) to it (1)."""
    bounds = np.minimum(np.round(np.arange(frames + 1) * (rate / fps)).astype(np.int64), len(samples))
    energy = np.concatenate([[0.0], np.cumsum(samples.astype(np.float64) ** 2)])
    sums = energy[bounds[1:]] - energy[bounds[:-1]]
    counts = np.maximum(bounds[1:] - bounds[:-1], 1)
    level = 10.0 * np.log10(np.maximum(sums / counts, 1e-20))  # dB of mean power: RMS in dB
    loud = float(np.percentile(level, LOUD_PERCENTILE))
    return np.clip((level - loud) / LOUDNESS_RANGE_DB + 1.0, 0.0, 1.0)


def speed(
    onset: np.ndarray, loudness: np.ndarray, reactivity: float, beat_weight: float, release_frames: float
) -> np.ndarray:
    """Per frame, how far the walk moves, mean 1: an even pace blended with the music's drive.

    The drive is loudness times a blend of a steady flow and the onsets (``beat_weight`` is the onsets'
    share): loud passages move, beats push within them, a beat in a quiet passage pushes less, and
    silence holds still. It jumps up at once and fades by ``1/e`` every ``release_frames``;
    ``reactivity`` is its share of the pace, 0 none, 1 all.
    """
    drive = loudness * ((1.0 - beat_weight) + beat_weight * onset)
    if release_frames > 0:
        fade = math.exp(-1.0 / release_frames)
        held = np.empty_like(drive)
        level = 0.0
        for index, value in enumerate(drive):
            level = max(float(value), level * fade)
            held[index] = level
        drive = held
    mean = float(drive.mean())
    music = drive / mean if mean > 0 else np.ones_like(drive)
    return np.maximum((1.0 - reactivity) + reactivity * music, SLOWEST)


def phases(pace: np.ndarray) -> np.ndarray:
    """Phase per frame in [0, 1): frame 0 at 0, each frame ``pace[f]`` on from the last, the loop closed.

    The step back from the last frame to the first is ``pace[0]``, as if the walk went round again.
    """
    total = np.cumsum(pace, dtype=np.float64)
    return (total - pace[0]) / total[-1]

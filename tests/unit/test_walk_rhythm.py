"""A track's rhythm as a walk's timing: envelopes peak on the beats, the pace rises there, the loop closes.

Pure numpy on synthetic sound (clicks at known times over a quiet tone), no model and no ffmpeg.
"""

from __future__ import annotations

import numpy as np
import pytest

from artgen.audio import Track
from artgen.walk import rhythm
from artgen.walk.path import KeyframePath

RATE = 22_050
FPS = 24
# click times in the middle of frames 12, 31, 40, 70 and 101 (a frame is 41.7 ms at 24 fps)
CLICK_FRAMES = np.array([12, 31, 40, 70, 101])


def click_track(seconds: float = 5.0, clicks: np.ndarray = CLICK_FRAMES, level: float = 0.05) -> Track:
    """Clicks (5 ms noise bursts at 0.8) over a quiet 220 Hz tone."""
    rng = np.random.default_rng(0)
    t = np.arange(round(seconds * RATE)) / RATE
    sound = level * np.sin(2 * np.pi * 220 * t)
    width = round(0.005 * RATE)
    for frame in clicks:
        start = round((frame + 0.5) / FPS * RATE)
        sound[start : start + width] += 0.8 * rng.uniform(-1, 1, width) * np.exp(-np.arange(width) / 22)
    return Track(path=None, samples=sound.astype(np.float32), rate=RATE)  # type: ignore[arg-type]


def music(track: Track, reactivity: float = 0.9, beat_weight: float = 0.9, release: float = 0.1):
    return rhythm.rhythm(track, FPS, reactivity, beat_weight, release)


def test_frames_are_the_track_at_the_frame_rate():
    assert music(click_track(5.0)).frames == 120
    assert music(click_track(5.03)).frames == 121  # 120.72 frames: the nearest whole number
    assert rhythm.frame_count(10.0, 29.97) == 300


def test_onset_envelope_peaks_on_the_click_frames_and_nowhere_else():
    found = music(click_track())
    assert np.all(found.onset[CLICK_FRAMES] > 0.7)
    elsewhere = np.delete(found.onset, CLICK_FRAMES)
    assert elsewhere.max() < 0.3 and elsewhere.mean() < 0.02
    strongest = np.sort(np.argsort(found.onset)[-len(CLICK_FRAMES) :])
    assert strongest.tolist() == CLICK_FRAMES.tolist()


def test_loudness_envelope_is_highest_on_clicks_and_zero_in_silence():
    track = click_track()
    quiet = track.samples.copy()
    quiet[RATE * 3 :] = 0.0  # the last two seconds silent
    found = music(Track(track.path, quiet, RATE))
    assert np.all(found.loudness[CLICK_FRAMES[:-1]] > 0.95)  # the last click fell in the silence
    assert np.all(found.loudness[3 * FPS :] == 0.0)
    assert 0.3 < np.median(found.loudness[: 3 * FPS]) < 0.95  # the tone alone: between


def test_speed_is_higher_on_clicks_and_fades_after_them():
    found = music(click_track())
    assert found.speed.mean() == pytest.approx(1.0)
    calm = np.median(found.speed)
    assert np.all(found.speed[CLICK_FRAMES] > 3 * calm)
    after = found.speed[CLICK_FRAMES + 1]
    assert np.all(after < found.speed[CLICK_FRAMES]) and np.all(after > calm)  # a push, fading
    no_release = music(click_track(), release=0.0)
    assert np.all(no_release.speed[CLICK_FRAMES + 2] == pytest.approx(np.median(no_release.speed), rel=0.2))


def test_reactivity_zero_is_a_plain_walk_and_silence_drifts_without_stopping():
    plain = music(click_track(), reactivity=0.0)
    assert np.allclose(plain.speed, 1.0)
    assert np.allclose(plain.phase, np.arange(plain.frames) / plain.frames)
    silent = Track(None, np.zeros(RATE * 2, np.float32), RATE)  # type: ignore[arg-type]
    still = music(silent, reactivity=1.0)
    assert np.all(np.diff(still.phase) > 0)  # never stands exactly still: no repeated frame
    assert np.allclose(still.phase, np.arange(still.frames) / still.frames)  # evenly, at its slowest
    track = click_track()
    fade = np.r_[np.ones(RATE * 3), np.full(RATE * 2, 0.03)].astype(np.float32)  # 30 dB quieter after 3 s
    faded = music(Track(track.path, track.samples * fade, RATE))
    loud, quiet = faded.speed[: 3 * FPS], faded.speed[3 * FPS + 3 :]
    assert np.median(quiet) < 0.5 * np.median(loud)  # a quiet passage drifts
    assert faded.speed[101] < 0.5 * faded.speed[70]  # and its beat pushes less


def test_phase_starts_at_zero_rises_with_the_speed_and_closes_the_loop():
    found = music(click_track(5.03))
    phase, speed = found.phase, found.speed
    total = speed.sum()
    assert phase[0] == 0.0 and phase[-1] < 1.0 and np.all(np.diff(phase) > 0)
    assert np.allclose(np.diff(phase), speed[1:] / total)  # each frame's step is its own speed
    assert 1.0 - phase[-1] == pytest.approx(speed[0] / total)  # and the step back to frame 0 is frame 0's
    biggest = np.sort(np.argsort(np.diff(phase))[-len(CLICK_FRAMES) :] + 1)
    assert biggest.tolist() == CLICK_FRAMES.tolist()  # the picture moves on the frame of the beat


def test_a_path_at_phases_meets_the_keyframes():
    keys = np.random.default_rng(1).standard_normal((2, 4, 8)).astype(np.float32)
    for interp, ease in (("slerp", "linear"), ("lerp", "smooth")):
        at_keys = KeyframePath(keys, interp, ease)(np.arange(4) / 4)
        assert np.allclose(at_keys, keys.transpose(1, 0, 2), atol=1e-6)
    near_one = KeyframePath(keys)(np.array([1.0 - 1e-9]))
    assert np.allclose(near_one[0], keys[:, 0], atol=1e-4)  # just short of 1 is keyframe 0 again

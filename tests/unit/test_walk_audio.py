"""``artgen walk --audio``: an MP4 as long as its track, the track as its sound, moving on the beats.

End to end on the bundled generator, read back from the written file.
"""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import imageio.v3 as iio
import imageio_ffmpeg
import numpy as np
import pytest

from artgen.cli import main

RATE = 44_100
FPS = 24


def click_track(path: Path, seconds: float, click_frames: list[int]) -> Path:
    """A quiet 220 Hz tone with a 5 ms click in the middle of each of ``click_frames``; 16-bit WAV."""
    t = np.arange(round(seconds * RATE)) / RATE
    sound = 0.05 * np.sin(2 * np.pi * 220 * t)
    width = round(0.005 * RATE)
    burst = 0.8 * np.exp(-np.arange(width) / 44) * np.random.default_rng(0).choice([-1.0, 1.0], width)
    for frame in click_frames:
        start = round((frame + 0.5) / FPS * RATE)
        sound[start : start + width] += burst
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((np.clip(sound, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def sound_seconds(mp4: Path) -> float:
    """The MP4's first audio stream decoded, as seconds of samples (fails if it has none)."""
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-nostdin", "-f", "mov", "-i", str(mp4)]
    pcm = subprocess.run(
        [*command, "-map", "0:a:0", "-ac", "1", "-ar", str(RATE), "-f", "f32le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return len(pcm) / 4 / RATE


def change(frames: np.ndarray) -> np.ndarray:
    """Mean absolute pixel difference between each frame and the one before."""
    return np.abs(np.diff(frames.astype(np.int16), axis=0)).mean(axis=(1, 2, 3))


@pytest.mark.slow
@pytest.mark.parametrize("seconds", [2.03, 1.98], ids=["sound-padded", "sound-cut"])
def test_the_mp4_is_as_long_as_the_track_and_carries_it(tmp_path, capsys, seconds):
    track = click_track(tmp_path / "track.wav", seconds, [10, 30])
    out = tmp_path / "walk.mp4"
    assert main(["walk", "--audio", str(track), "--keyframes", "3", str(out)]) == 0
    frames = iio.imread(out, index=None, plugin="FFMPEG")
    assert len(frames) == round(seconds * FPS)  # 49 (48.72) and 48 (47.52)
    video = len(frames) / FPS
    assert abs(sound_seconds(out) - video) < 1 / FPS
    assert abs(video - seconds) <= 0.5 / FPS
    assert f"wrote {out} ({len(frames)} frames at 24 fps, moving with track.wav)" in capsys.readouterr().out


@pytest.mark.slow
def test_the_picture_changes_on_the_beats_and_a_plain_walk_does_not(tmp_path):
    clicks = [9, 21, 30, 47, 58, 77, 90, 101]
    track = click_track(tmp_path / "clicks.wav", 4.5, clicks)
    assert main(["walk", "--audio", str(track), str(tmp_path / "music.mp4")]) == 0
    assert main(["walk", "--frames", "108", str(tmp_path / "plain.mp4")]) == 0
    on_click = np.isin(np.arange(1, 108), clicks)  # change into frame f, for f = 1 ..
    moved = change(iio.imread(tmp_path / "music.mp4", index=None, plugin="FFMPEG"))
    plain = change(iio.imread(tmp_path / "plain.mp4", index=None, plugin="FFMPEG"))
    assert moved[on_click].mean() > 3 * moved[~on_click].mean()
    assert np.corrcoef(moved, on_click)[0, 1] > 0.5
    assert abs(np.corrcoef(plain, on_click)[0, 1]) < 0.3


def test_the_engine_refuses_a_bad_track_itself_and_leaves_nothing(tmp_path):
    """A studio job reaches the engine without the command line's preflight: the engine refuses too."""
    from artgen.errors import InputError
    from artgen.walk import WalkConfig, render_walk

    (tmp_path / "notes.wav").write_text("not a track\n")
    config = WalkConfig(out=str(tmp_path / "walk.mp4"), audio=str(tmp_path / "notes.wav"))
    with pytest.raises(InputError, match="notes.wav: not a readable WAV track"):
        render_walk(config)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.wav"]

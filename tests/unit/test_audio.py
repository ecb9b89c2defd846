"""Reading a music track with the bundled ffmpeg: the four formats decode; anything else is one line."""

from __future__ import annotations

import os
import re
import subprocess
import wave
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from artgen.audio import read_track
from artgen.errors import InputError
from artgen.walk.rhythm import read_music


def write_wav(path: Path, seconds: float, rate: int = 44_100, channels: int = 1) -> Path:
    """A 440 Hz tone at half scale, 16-bit."""
    t = np.arange(round(seconds * rate)) / rate
    tone = (0.5 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.repeat(tone, channels).tobytes())
    return path


def encode(source: Path, target: Path) -> Path:
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    codec = {".ogg": ["-c:a", "libvorbis"]}.get(target.suffix, [])
    subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(source), *codec, str(target)], check=True)
    return target


def test_wav_mp3_flac_and_ogg_decode_to_mono_at_the_analysis_rate(tmp_path):
    wav = write_wav(tmp_path / "tone.wav", 1.5, rate=48_000, channels=2)
    for suffix in (".wav", ".mp3", ".flac", ".ogg"):
        path = wav if suffix == ".wav" else encode(wav, tmp_path / f"tone{suffix}")
        track = read_track(path, longest=60)
        assert track.rate == 22_050 and track.samples.ndim == 1 and track.samples.dtype == np.float32
        assert track.duration == pytest.approx(1.5, abs=0.03), suffix  # mp3 and vorbis pad a little
        assert 0.4 < np.abs(track.samples).max() < 0.8, suffix  # both channels mixed


def test_a_track_named_by_a_link_is_read_from_the_file_it_names(tmp_path):
    wav = write_wav(tmp_path / "tone.wav", 0.5)
    (tmp_path / "link.wav").symlink_to(wav)
    assert read_track(tmp_path / "link.wav", longest=60).path == wav


@pytest.mark.parametrize(
    ("make", "phrase"),
    [
        (lambda p: None, "no such file or directory"),
        (lambda p: p.write_text("a user's notes\n"), "not a readable WAV track"),
        (lambda p: p.write_bytes(b""), "the file is empty"),
        (lambda p: write_wav(p, 0.0), "the track is empty"),
        (lambda p: os.mkfifo(p), "not a regular file (a named pipe)"),
        (lambda p: p.mkdir(), "is a directory"),
    ],
    ids=["missing", "text", "empty-file", "no-samples", "pipe", "folder"],
)
def test_what_is_not_a_track_is_refused_in_one_line(tmp_path, make, phrase):
    path = tmp_path / "track.wav"
    make(path)
    with pytest.raises(InputError, match=re.escape(phrase)) as caught:
        read_track(path, longest=60)
    assert "\n" not in str(caught.value) and str(caught.value).startswith(str(path))


def test_a_suffix_names_the_one_demuxer_that_reads_the_file(tmp_path):
    wav = write_wav(tmp_path / "tone.wav", 0.5)
    (tmp_path / "tone.txt").write_bytes(wav.read_bytes())
    with pytest.raises(InputError, match=r"is not an audio file \(.flac, .mp3, .ogg, .wav\)"):
        read_track(tmp_path / "tone.txt", longest=60)
    (tmp_path / "tone.mp3").write_bytes(wav.read_bytes())  # a WAV named as an MP3 is not sniffed
    with pytest.raises(InputError, match="not a readable MP3 track"):
        read_track(tmp_path / "tone.mp3", longest=60)


def test_a_video_without_sound_is_refused_for_having_none(tmp_path):
    video = tmp_path / "silent.ogg"  # Ogg holds Theora video as well as Vorbis sound
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi"]
    subprocess.run(
        [*command, "-i", "testsrc=duration=0.5:size=32x32", "-c:v", "libtheora", str(video)], check=True
    )
    with pytest.raises(InputError, match=r"silent.ogg: not a readable OGG track \(no audio stream\)"):
        read_track(video, longest=60)


def test_too_long_or_too_short_a_track_for_a_walk_is_refused(tmp_path):
    wav = write_wav(tmp_path / "tone.wav", 3.0)
    with pytest.raises(InputError, match="longer than 2 s, the most one walk holds at this --fps"):
        read_track(wav, longest=2.0)
    with pytest.raises(InputError, match="longer than"):
        read_music(wav, fps=24, max_frames=48)  # 72 frames
    assert read_music(wav, fps=24, max_frames=72).duration == pytest.approx(3.0)
    blip = write_wav(tmp_path / "blip.wav", 0.05)
    with pytest.raises(InputError, match="makes 1 frame at --fps 24; a walk needs at least 2"):
        read_music(blip, fps=24, max_frames=100)

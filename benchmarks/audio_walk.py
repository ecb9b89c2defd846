"""Walks that move with music: does the picture change on the beat, and do sound and picture end together?

A synthetic test track (clicks at known, irregular times over a quiet 220 Hz tone, written
here as a 16-bit WAV) drives ``artgen walk --audio``; a plain walk of the same frames is the
control. Both are read back from their MP4s. For each it prints:

- the correlation between the per-frame image change (mean absolute pixel difference between
  a frame and the one before) and the onset envelope of the track at that frame (the audio
  walk should follow it, >= 0.5; the plain walk should not, about 0);
- the mean image change on click frames over that elsewhere;
- the video's duration (decoded frames / fps) and the audio's (decoded samples / rate), and
  their difference in ms and in frames (target: under one frame).

Two tracks: one a whole number of frames long, one not (its sound is padded or cut to the
video's length). CPU seconds are the whole process's, every thread and ffmpeg included.

Run from the repository root:

    nice python benchmarks/audio_walk.py                 # the bundled generator
    nice python benchmarks/audio_walk.py --model runs/x/generator.keras --keyframes 8

Outputs go to runs/benchmarks/audio_walk/.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RATE = 44_100
TONE_HZ, TONE_LEVEL = 220.0, 0.05
CLICK_LEVEL, CLICK_SECONDS = 0.8, 0.005
MUSIC = ("reactivity", "beat_weight", "release")  # WalkConfig's music settings; their defaults unless given


def click_track(path: Path, seconds: float, seed: int) -> np.ndarray:
    """A WAV of clicks at irregular times (0.3 to 1.2 s apart) over a quiet tone; returns the click times."""
    rng = np.random.default_rng(seed)
    times = np.cumsum(rng.uniform(0.3, 1.2, int(seconds / 0.3) + 2)) - 0.1
    times = times[times < seconds - 0.1]
    t = np.arange(round(seconds * RATE)) / RATE
    sound = TONE_LEVEL * np.sin(2 * np.pi * TONE_HZ * t)
    width = round(CLICK_SECONDS * RATE)
    burst = CLICK_LEVEL * np.exp(-np.arange(width) / (0.001 * RATE))
    for when in times:
        start = round(when * RATE)
        sound[start : start + width] += (
            burst[: len(sound) - start] * rng.choice([-1.0, 1.0], width)[: len(sound) - start]
        )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((np.clip(sound, -1, 1) * 32767).astype("<i2").tobytes())
    return times


def video_frames(path: Path) -> np.ndarray:
    import imageio.v3 as iio

    return iio.imread(path, index=None, plugin="FFMPEG").astype(np.int16)


def audio_seconds(path: Path) -> float:
    """The MP4's sound, decoded by the bundled ffmpeg to 32-bit floats at its own rate, counted."""
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    command = [ffmpeg, "-v", "error", "-nostdin", "-f", "mov", "-i", str(path), "-map", "0:a:0"]
    pcm = subprocess.run(
        [*command, "-ac", "1", "-ar", str(RATE), "-f", "f32le", "-"], capture_output=True, check=True
    )
    return len(pcm.stdout) / 4 / RATE


def change(frames: np.ndarray) -> np.ndarray:
    """Mean absolute pixel difference between each frame and the one before (frames 1 ..)."""
    return np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="generator to walk (default: the bundled one)")
    parser.add_argument("--keyframes", type=int, default=8)
    parser.add_argument("--fps", type=float, default=24)
    parser.add_argument("--seed", type=int, default=0, help="seed of the keyframes and the click times")
    parser.add_argument("--reactivity", type=float)
    parser.add_argument("--beat-weight", type=float)
    parser.add_argument("--release", type=float)
    args = parser.parse_args()
    out_dir = ROOT / "runs" / "benchmarks" / "audio_walk"
    out_dir.mkdir(parents=True, exist_ok=True)

    from artgen.audio import read_track
    from artgen.generators.sampling import load_generator
    from artgen.walk import WalkConfig
    from artgen.walk.engine import render_with
    from artgen.walk.rhythm import onset_envelope

    generator = load_generator(args.model)
    music = {name: getattr(args, name) for name in MUSIC if getattr(args, name) is not None}
    common = {"keyframes": args.keyframes, "fps": args.fps, "seed": args.seed, "overwrite": True}
    settings = WalkConfig(out="x.mp4", audio="x.wav", **common, **music)
    flags = {name: getattr(settings, name) for name in ("keyframes", "fps", "seed", *MUSIC)}
    print(" ".join(f"--{name.replace('_', '-')} {value:g}" for name, value in flags.items()), "\n")
    columns = (
        "walk",
        "track",
        "frames",
        "corr(image change, onset)",
        "change on clicks / elsewhere",
        "video s",
        "audio s",
        "difference",
        "CPU-s",
    )
    print("| " + " | ".join(columns) + " |")
    print("| " + " | ".join("---" for _ in columns) + " |")
    for seconds in (20.0, 10.03):
        track_path = out_dir / f"clicks-{seconds:g}s.wav"
        clicks = click_track(track_path, seconds, args.seed)
        track = read_track(track_path, longest=3600)
        for kind in ("audio", "plain"):
            out = out_dir / f"{kind}-{seconds:g}s.mp4"
            before = cpu_seconds()
            if kind == "audio":
                config = WalkConfig(out=str(out), audio=str(track_path), **common, **music)
            else:
                config = WalkConfig(out=str(out), frames=round(seconds * args.fps), **common)
            render_with(generator, config)
            cpu = cpu_seconds() - before
            frames = video_frames(out)
            onset = onset_envelope(track.samples, track.rate, args.fps, len(frames))
            moved = change(frames)
            corr = float(np.corrcoef(moved, onset[1:])[0, 1])
            on_click = np.zeros(len(frames), bool)
            on_click[np.floor(clicks * args.fps).astype(int)] = True
            ratio = moved[on_click[1:]].mean() / moved[~on_click[1:]].mean()
            video = len(frames) / args.fps
            if kind == "audio":
                sound = audio_seconds(out)
                gap = abs(video - sound)
                timing = f"{sound:.4f} | {gap * 1000:.1f} ms ({gap * args.fps:.2f} frame)"
            else:
                timing = "no sound | –"
            cells = (
                kind,
                f"{seconds:g} s, {len(clicks)} clicks",
                len(frames),
                f"{corr:.2f}",
                f"{ratio:.2f}×",
            )
            print("| " + " | ".join(map(str, cells)) + f" | {video:.4f} | {timing} | {cpu:.1f} |")


if __name__ == "__main__":
    main()

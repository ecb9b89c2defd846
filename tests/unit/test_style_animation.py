"""Animations as style content, and stylised walks: flicker, formats read back, loops, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image

from artgen.cli import main
from artgen.style import StyleConfig, stylise

QUICK = dict(size=32, iterations=2, scales=1, frame_iterations=1, preview_every=0)


def _scene(count: int = 4, size: int = 40, seed: int = 0) -> list[np.ndarray]:
    """A textured still background with a bright square moving across it."""
    rng = np.random.default_rng(seed)
    background = rng.integers(40, 200, (size, size, 3)).astype(np.uint8)
    background = np.asarray(Image.fromarray(background).resize((size, size), Image.Resampling.BOX))
    frames = []
    for index in range(count):
        frame = background.copy()
        left = 4 + 4 * index
        frame[6:16, left : left + 10] = (250, 230, 40)
        frames.append(frame)
    return frames


def _save(frames: list[np.ndarray], path: Path, **params) -> Path:
    pictures = [Image.fromarray(frame) for frame in frames]
    pictures[0].save(path, save_all=True, append_images=pictures[1:], **params)
    return path


@pytest.fixture()
def painting(tmp_path) -> str:
    rng = np.random.default_rng(1)
    stripes = np.zeros((40, 40, 3), np.uint8)
    stripes[:, ::4] = (30, 60, 200)
    stripes[::5] = (220, 120, 20)
    Image.fromarray(stripes + rng.integers(0, 30, stripes.shape, dtype=np.uint8)).save(tmp_path / "paint.png")
    return str(tmp_path / "paint.png")


@pytest.mark.slow
def test_stable_path_flickers_less_than_independent_frames(tmp_path, painting):
    clip = _save(_scene(5), tmp_path / "scene.gif", duration=100, loop=0)
    stable, independent = _stable_and_independent(
        clip, painting, tmp_path, temporal_weight=30.0, iterations=8
    )
    assert stable.frame_count == independent.frame_count == 5
    assert stable.flicker < 0.8 * independent.flicker
    figures = json.loads(stable.stats.read_text())
    assert figures["frames"] == 5 and figures["flicker"] == pytest.approx(stable.flicker)


@pytest.mark.slow
def test_each_kind_is_written_back_as_itself_at_its_frame_rate(tmp_path, painting):
    frames = _scene(4)
    gif = _save(frames, tmp_path / "clip.gif", duration=[80, 120, 80, 200], loop=0)
    webp = _save(frames, tmp_path / "clip.webp", duration=125, loop=0, lossless=True)
    mp4 = tmp_path / "clip.mp4"
    iio.imwrite(mp4, np.stack(frames), plugin="FFMPEG", fps=12, macro_block_size=1)
    folder = tmp_path / "shots"
    folder.mkdir()
    for index, frame in enumerate(frames):  # name order, not string order: 2 before 10
        Image.fromarray(frame).save(folder / f"shot-{[1, 2, 10, 11][index]}.png")

    out = stylise(StyleConfig(str(gif), (painting,), out=str(tmp_path / "o.gif"), **QUICK)).out
    assert iio.imread(out, index=None).shape == (4, 32, 32, 3)
    with Image.open(out) as im:
        delays = []
        for index in range(im.n_frames):
            im.seek(index)
            delays.append(im.info["duration"])
        assert delays == [80, 120, 80, 200] and im.info["loop"] == 0

    out = stylise(StyleConfig(str(webp), (painting,), out=str(tmp_path / "o.webp"), **QUICK)).out
    with Image.open(out) as im:
        im.load()
        assert im.format == "WEBP" and im.n_frames == 4 and im.info["duration"] == 125

    out = stylise(StyleConfig(str(mp4), (painting,), out=str(tmp_path / "o.mp4"), **QUICK)).out
    assert iio.imread(out, index=None, plugin="FFMPEG").shape[0] == 4
    assert iio.immeta(out, plugin="FFMPEG")["fps"] == pytest.approx(12)

    result = stylise(StyleConfig(str(folder), (painting,), out=str(tmp_path / "o"), sequence=True, **QUICK))
    written = sorted(result.out.iterdir())
    assert [p.name for p in written] == [f"frame-{i:05d}.png" for i in range(4)]
    assert iio.imread(written[0]).shape == (32, 32, 3)
    assert result.stats == tmp_path / "o.json"


@pytest.mark.slow
def test_stop_writes_the_frames_painted_so_far_as_a_valid_file(tmp_path, painting):
    clip = _save(_scene(6), tmp_path / "clip.gif", duration=100, loop=0)
    calls = iter(range(10_000))
    config = StyleConfig(str(clip), (painting,), out=str(tmp_path / "o.gif"), **{**QUICK, "iterations": 3})
    result = stylise(config, should_stop=lambda: next(calls) >= 6)  # frame 1: 3 checks, then 1 a frame
    assert result.stopped and 1 <= result.frame_count < 6
    assert iio.imread(result.out, index=None).shape[0] == result.frame_count
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.gif", "o.gif", "o.gif.json", "paint.png"]


@pytest.mark.slow
def test_stylised_walk_loops_with_every_frame_and_no_seam(tmp_path, painting):
    """Nine frames: four held back and repainted to close the loop; the file's seam is an ordinary step."""
    from artgen.walk.config import WalkConfig
    from artgen.walk.engine import render_walk

    common = dict(frames=9, keyframes=3, size=32)
    config = WalkConfig(
        out=str(tmp_path / "walk.gif"),
        style=painting,
        style_weight=100.0,
        style_iterations=4,
        frame_iterations=2,
        **common,
    )
    result = render_walk(config)
    frames = iio.imread(result.out, index=None).astype(np.float32)
    assert result.frames == 9 and frames.shape == (9, 32, 32, 3)
    plain = iio.imread(render_walk(WalkConfig(out=str(tmp_path / "plain.gif"), **common)).out, index=None)
    assert np.abs(plain.astype(np.float32) - frames).mean() > 3  # painted, not the generator's own frames

    close = 9 // 2  # StyledFrames.close: the file starts at frame 4 and ends with the repainted 0 .. 3
    inputs = np.roll(plain.astype(np.float32), -close, axis=0)
    ratios = [
        np.abs(frames[t] - frames[t - 1]).mean() / np.abs(inputs[t] - inputs[t - 1]).mean() for t in range(9)
    ]
    ordinary = ratios[1 : 9 - close]  # pairs of the first lap's frames 4 .. 8
    assert ratios[0] <= max(ordinary), ratios  # last frame written -> first: no seam
    assert result.flicker_pairs[2] == pytest.approx(max(ordinary), rel=0.25)  # GIF's palette rounds
    # every pair where the loop closes (the engine's own figures, before the GIF's palette): here
    # 1.18 against the first lap's largest 1.26; 10% for other CPUs' rounding
    assert result.seam_flicker <= 1.1 * result.flicker_pairs[2], (result.seam_flicker, result.flicker_pairs)


def test_closing_frames_walk_over_to_the_held_chain_no_faster_than_they_must():
    from artgen.walk.styled import closing_floors, closing_frame

    floors = closing_floors([1.0, 3.0, 0.0, 4.0])
    assert floors.tolist() == pytest.approx([0.0, 0.125, 0.5, 0.5, 1.0])  # 0 first, 1 last, paced by change
    assert closing_floors([0.0, 0.0]).tolist() == pytest.approx([0.0, 0.5, 1.0])  # a still walk: even steps
    assert closing_floors([]).tolist() == [1.0]

    new, held = np.full((1, 1, 3), 100, np.uint8), np.full((1, 1, 3), 200, np.uint8)
    before = np.array([[[90, 150, 230]]], np.uint8)  # below, between and beyond the two paintings
    assert closing_frame(new, held, before, 0.0).tolist() == [[[100, 150, 200]]]  # nearest the frame before
    assert closing_frame(new, held, before, 0.75).tolist() == [[[175, 175, 200]]]  # a quarter left to go
    assert closing_frame(new, held, before, 1.0).tolist() == held.tolist()


@pytest.mark.slow
def test_single_frame_gif_is_a_still(tmp_path, painting, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Image.fromarray(_scene(1)[0]).save(tmp_path / "one.gif")
    assert (
        main(
            [
                "style",
                str(tmp_path / "one.gif"),
                painting,
                "--size",
                "32",
                "--iterations",
                "1",
                "--scales",
                "1",
            ]
        )
        == 0
    )
    assert (tmp_path / "one_paint.png").exists()


@pytest.mark.parametrize(
    ("make", "arguments", "message"),
    [
        (lambda d: (d / "broken.mp4").write_bytes(b"\0not a video"), ["{d}/broken.mp4"], "unreadable video"),
        (lambda d: (d / "frames").mkdir(), ["{d}/frames", "--sequence"], "at least 2 frames"),
        (lambda d: None, ["{d}/clip.gif", "--sequence"], "not a folder"),
        (
            lambda d: (d / "taken.gif").write_bytes(b"mine"),
            ["{d}/clip.gif", "-o", "{d}/taken.gif"],
            "--overwrite",
        ),
        (lambda d: None, ["{d}/clip.gif", "-o", "{d}/x.webp"], "written as .gif"),
    ],
)
def test_bad_clip_input_is_one_line_and_exit_2(tmp_path, painting, capsys, make, arguments, message):
    _save(_scene(3), tmp_path / "clip.gif", duration=100, loop=0)
    make(tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    args = [a.replace("{d}", str(tmp_path)) for a in arguments]
    assert main(["style", args[0], painting, *args[1:], "--size", "32", "--iterations", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("artgen: error: ") and message in err[0]
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_temporal_term_counts_change_only_where_the_mask_keeps_it():
    from keras import ops

    from artgen.style.losses import temporal_loss

    previous = np.zeros((1, 4, 4, 3), np.float32)
    image = previous.copy()
    image[0, :2] = 51.0  # the top half changed by a fifth of the range
    keep_top, keep_bottom = np.zeros((1, 4, 4, 1), np.float32), np.zeros((1, 4, 4, 1), np.float32)
    keep_top[0, :2], keep_bottom[0, 2:] = 1, 1
    assert float(ops.convert_to_numpy(temporal_loss(image, previous, keep_bottom))) == 0
    assert float(ops.convert_to_numpy(temporal_loss(image, previous, keep_top))) == pytest.approx(
        0.5 * 0.2**2
    )


def _texture(size: int, seed: int = 0) -> np.ndarray:
    """Smooth random texture (blobs a few pixels wide): something a flow can follow everywhere."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (size // 4, size // 4, 3)).astype(np.uint8)
    smooth = Image.fromarray(coarse).resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(smooth).astype(np.float32)


def test_flow_warps_the_earlier_frame_onto_a_translated_one():
    from artgen.style import flow

    picture = _texture(96)
    before, after = picture[8:72, 8:72], picture[5:69, 12:76]  # the camera moves 4 right and 3 up
    motion = flow.between(before, after)
    trusted = motion.confidence > 0
    assert trusted[8:-8, 8:-8].mean() > 0.95
    assert np.abs(motion.flow[trusted] - (4, -3)).mean() < 0.25
    error = np.abs(motion.warp(before) - after).mean(axis=-1)
    assert error[trusted].mean() < 2.5 < np.abs(before - after).mean() / 10  # levels of 0-255


def test_confidence_is_zero_where_the_earlier_frame_did_not_show_the_pixel():
    from artgen.style import flow

    picture = _texture(96)
    before, after = picture[16:80, 16:80], picture[16:80, 22:86]  # a pan: 6 new columns on the right
    confidence = flow.between(before, after).confidence
    assert confidence[:, -6:].max() == 0  # came into view: nothing to warp from
    assert confidence[8:-8, 8:-12].mean() > 0.95

    background, square = _texture(64, seed=1), _texture(64, seed=2)[:16, :16]
    before, after = background.copy(), background.copy()
    before[24:40, 16:32], after[24:40, 20:36] = square, square  # a square moves 4 right over a still scene
    motion = flow.between(before, after)
    assert np.abs(motion.flow[28:36, 22:34] - (-4, 0)).mean() < 0.5
    assert motion.confidence[28:36, 16:20].max() == 0  # the background the square uncovered: disoccluded
    unchanged = np.abs(after - before).mean(axis=-1) == 0
    assert np.abs(motion.flow[unchanged]).max() < 0.5  # the still background is not dragged along
    assert motion.confidence[4:20, 4:60].mean() > 0.95 and motion.confidence[28:36, 22:34].mean() > 0.9


def test_the_flicker_that_the_motion_does_not_explain_is_counted_apart():
    from artgen.style.sequence import Flicker

    picture = _texture(96)
    flicker = Flicker()
    for step in range(3):  # a pan, and a painting that follows it exactly
        frame = picture[8:72, 8 + 3 * step : 72 + 3 * step]
        flicker.add(frame.astype(np.uint8), (255 - frame).astype(np.uint8))
    assert flicker.ratio > 0.9  # a moving picture changes as much as the photo
    assert flicker.warped_ratio < 0.1  # ... but nothing the flow does not explain


def test_flicker_along_a_motion_already_followed_is_the_same_figure():
    """A painter that moved the last painting itself hands it over, and the figure does not change."""
    from artgen.style import flow
    from artgen.style.sequence import Flicker

    picture = _texture(96)
    frames = [picture[8:72, 8 + 3 * step : 72 + 3 * step].astype(np.uint8) for step in range(3)]
    painted = [np.roll(255 - frame, step, axis=0) for step, frame in enumerate(frames)]
    warped, handed = Flicker(), Flicker()
    for index, (frame, picture_out) in enumerate(zip(frames, painted, strict=True)):
        motion = flow.between(frames[index - 1], frame) if index else None
        warped.add(frame, picture_out, motion)
        moved = motion.warp(painted[index - 1]) if index else None
        handed.add(frame, picture_out, motion, moved)
    assert handed.figures() == warped.figures() and warped.warped_ratio > 0


def test_flicker_without_the_flow_measure_finds_no_flow(monkeypatch):
    """A walk reports only the raw ratio, so its frames cost no optical flow."""
    from artgen.style import flow
    from artgen.style.sequence import Flicker

    picture = _texture(96)
    frames = [picture[8:72, 8 + 3 * step : 72 + 3 * step].astype(np.uint8) for step in range(3)]
    both = Flicker()
    for frame in frames:
        both.add(frame, 255 - frame)

    def no_flow(*args):
        raise AssertionError("optical flow computed for a figure nobody reads")

    monkeypatch.setattr(flow, "between", no_flow)
    raw = Flicker(along_flow=False)
    for frame in frames:
        raw.add(frame, 255 - frame)
    assert raw.ratio == both.ratio and raw.warped_ratio is None


@pytest.mark.slow
def test_stable_path_flickers_less_than_independent_frames_on_a_pan(tmp_path, painting):
    """Every pixel moves: the flow carries the painting along, so it flickers less, and what it changes
    beyond the input's own motion is a small part of what independent frames change.

    The raw measure (|out_t - out_t-1| over |in_t - in_t-1|) counts motion as
    flicker, so there the gain is small (1.33 against 1.52); along the flow it
    is 0.04 against 1.15.
    """
    picture = Image.fromarray(_texture(96, seed=3).astype(np.uint8))
    frames = [  # a pan right and down while zooming in: no single shift explains it
        np.asarray(picture.resize((40, 40), Image.Resampling.BICUBIC, box=(8 + 3 * t, 8 + t, 56 + t, 56 - t)))
        for t in range(5)
    ]
    clip = _save(frames, tmp_path / "pan.webp", duration=100, loop=0, lossless=True)
    stable, independent = _stable_and_independent(
        clip, painting, tmp_path, temporal_weight=3000.0, iterations=20
    )
    assert stable.flicker < independent.flicker
    assert stable.warped_flicker < 0.2 * independent.warped_flicker


def _stable_and_independent(clip: Path, painting: str, folder: Path, temporal_weight: float, iterations: int):
    """The clip painted with the temporal term (stable) and without it (every frame cold), 40 px."""
    results = []
    for name, weight in (("stable", temporal_weight), ("independent", 0.0)):
        config = StyleConfig(
            str(clip),
            (painting,),
            out=str(folder / f"{name}{clip.suffix}"),
            size=40,
            iterations=iterations,
            scales=1,
            frame_iterations=4,
            temporal_weight=weight,
            preview_every=0,
        )
        results.append(stylise(config))
    return results

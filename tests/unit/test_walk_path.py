"""Latent-walk geometry, configuration and writers: no model, no TensorFlow."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image

from artgen import media
from artgen.errors import InputError
from artgen.walk.config import WalkConfig, output_format, parse_grid
from artgen.walk.frames import resample_mode, tile, upscale
from artgen.walk.path import KeyframePath, ease, lerp, slerp


def _keys(walks: int = 1, count: int = 4, dim: int = 64, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((walks, count, dim)).astype(np.float32)


def test_slerp_keeps_norms_between_the_keyframes_norms_and_lerp_does_not():
    a, b = _keys(count=2, dim=128)[0]
    t = np.linspace(0, 1, 21)
    arc = np.linalg.norm(slerp(np.repeat(a[None], 21, 0), np.repeat(b[None], 21, 0), t), axis=1)
    line = np.linalg.norm(lerp(np.repeat(a[None], 21, 0), np.repeat(b[None], 21, 0), t), axis=1)
    low, high = sorted([np.linalg.norm(a), np.linalg.norm(b)])
    assert np.all(arc >= low * 0.999) and np.all(arc <= high * 1.001)
    assert line[10] < 0.8 * low  # the straight line cuts through the sphere's inside


def test_slerp_of_parallel_vectors_is_finite():
    a = np.ones((3, 8), np.float32)
    out = slerp(a, 2 * a, np.array([0.0, 0.5, 1.0]))
    assert np.all(np.isfinite(out)) and np.allclose(out[1], 1.5)


def test_walk_visits_every_keyframe_and_loops_without_jump_or_duplicate():
    keys = _keys(count=4)
    frames = 40
    z = KeyframePath(keys)(np.arange(frames) / frames)[:, 0]
    for k in range(4):
        np.testing.assert_allclose(z[k * 10], keys[0, k], atol=1e-5)
    steps = np.linalg.norm(np.diff(np.concatenate([z, z[:1]]), axis=0), axis=1)
    closure = steps[-1]  # from the last frame back to the first
    last_segment = steps[30:-1]
    assert last_segment.min() * 0.95 <= closure <= last_segment.max() * 1.05  # same pace as its segment
    assert steps.min() > 0  # no frame repeats


def test_walk_with_frames_not_divisible_by_keyframes_still_closes():
    keys = _keys(count=3)
    z = KeyframePath(keys)(np.arange(21) / 20)[:, 0]
    np.testing.assert_allclose(z[20], z[0], atol=1e-6)  # frame N is frame 0


def test_smooth_ease_rests_at_keyframes():
    t = np.array([0.0, 0.01, 0.5, 0.99, 1.0])
    eased = ease(t, "smooth")
    assert eased[0] == 0 and eased[-1] == 1 and eased[2] == pytest.approx(0.5)
    assert eased[1] < 0.01 and 1 - eased[3] < 0.01  # slower than linear near the ends


def test_grid_walks_are_independent():
    keys = _keys(walks=4)
    z = KeyframePath(keys)(np.arange(12) / 12)
    assert z.shape == (12, 4, 64)
    assert not np.allclose(z[:, 0], z[:, 1])


def test_gif_durations_track_fps_exactly():
    delays = media.frame_durations(24, 0.01, 0, 120)
    assert set(delays) == {4, 5} and sum(delays) == 500
    assert media.frame_durations(25, 0.01, 0, 10) == [4] * 10
    assert sum(media.frame_durations(24, 0.01, 0, 60) + media.frame_durations(24, 0.01, 60, 60)) == 500


def test_config_validates_and_round_trips(tmp_path):
    config = WalkConfig(out=str(tmp_path / "a.gif"), grid=(2, 3), size=64, ease="smooth")
    assert WalkConfig.from_dict(config.to_dict()) == config
    assert config.walks == 6 and config.format == "gif"
    for bad in (
        dict(frames=1),
        dict(fps=0),
        dict(fps=60),
        dict(keyframes=1),
        dict(interp="cubic"),
        dict(ease="bounce"),
        dict(resample="bicubic"),
        dict(grid=(0, 2)),
        dict(size=2),
        dict(out="a.avi"),
    ):
        with pytest.raises(InputError):
            WalkConfig(**{"out": "a.gif", **bad})
    with pytest.raises(InputError, match="unknown walk settings"):
        WalkConfig.from_dict({"out": "a.gif", "colour": 1})


def test_output_format_and_grid_parsing(tmp_path):
    assert [output_format(n) for n in ("a.GIF", "a.webp", "a.mp4", "frames", "frames/")] == [
        "gif",
        "webp",
        "mp4",
        "frames",
        "frames",
    ]
    assert parse_grid("3x4") == (3, 4)
    with pytest.raises(InputError, match="ROWSxCOLUMNS"):
        parse_grid("3by4")


def test_upscale_nearest_keeps_pixels_and_lanczos_resizes():
    cells = np.random.default_rng(0).integers(0, 255, (2, 8, 8, 3), dtype=np.uint8)
    big = upscale(cells, 32, "nearest")
    assert big.shape == (2, 32, 32, 3) and np.array_equal(big[:, ::4, ::4], cells)
    assert upscale(cells, 20, "lanczos").shape == (2, 20, 20, 3)
    assert resample_mode("auto", 64, 256) == "nearest" and resample_mode("auto", 64, 100) == "lanczos"


def test_tile_lays_walks_out_row_by_row():
    cells = np.zeros((2 * 6, 4, 4, 3), np.uint8)
    cells[1::6] = 200  # walk 1 (row 0, column 1) of both frames
    pictures = tile(cells, 2, (2, 3))
    assert pictures.shape == (2, 2 * 6 + 2, 3 * 6 + 2, 3)
    assert np.all(pictures[:, 2:6, 8:12] == 200) and np.all(pictures[:, 2:6, 2:6] == 0)


def _batches(count: int, batch: int, side: int = 48, step: int = 3):
    """Smooth colour ramps that drift from frame to frame, like a walk's frames."""
    ramp = np.linspace(0, 200, side)
    base = np.stack(np.broadcast_arrays(ramp[:, None], ramp[None, :], 100 + ramp[:, None] / 4), -1)
    for start in range(0, count, batch):
        n = min(batch, count - start)
        shift = np.arange(start, start + n)[:, None, None, None] * step
        yield np.clip(base + shift, 0, 255).astype(np.uint8)


def test_gif_writer_round_trip(tmp_path):
    path = tmp_path / "a.gif"
    sample = np.concatenate(list(_batches(30, 30)))[::3]
    media.write("gif", path, _batches(30, 7), 24, 30, sample)
    frames = iio.imread(path, index=None)
    assert frames.shape == (30, 48, 48, 3)
    expected = np.concatenate(list(_batches(30, 30)))
    assert np.abs(frames.astype(int) - expected).mean() < 6.5  # one palette fits the whole loop
    with Image.open(path) as im:
        assert im.info["loop"] == 0
        delays = []
        for i in range(im.n_frames):
            im.seek(i)
            delays.append(im.info["duration"])
    assert set(delays) <= {40, 50} and sum(delays) == 1250


def test_webp_and_png_folder_writers(tmp_path):
    # lossy WebP merges frames that differ by less than its tolerance; these differ clearly
    media.write(
        "webp", tmp_path / "a.webp", _batches(20, 6, step=10), 10, 20, np.zeros((1, 48, 48, 3), np.uint8)
    )
    with Image.open(tmp_path / "a.webp") as im:
        assert im.n_frames == 20 and im.info["loop"] == 0
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            im.load()  # WebP frames report their duration once decoded
            durations.append(im.info["duration"])
    assert durations == [100] * 20
    (tmp_path / "f").mkdir()  # the caller's temporary folder, as runs.atomic_path(folder=True) makes it
    media.write("frames", tmp_path / "f", _batches(12, 5), 10, 12, np.zeros((1, 48, 48, 3), np.uint8))
    assert sorted(p.name for p in (tmp_path / "f").iterdir())[-1] == "frame-00011.png"


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["gif", "webp", "frames"])
def test_writers_stream_instead_of_holding_every_frame(tmp_path, kind):
    alive: list[weakref.ref] = []
    most_alive = 0

    def tracked():
        nonlocal most_alive
        for batch in _batches(200, 10, side=64):
            gc.collect()
            most_alive = max(most_alive, sum(ref() is not None for ref in alive))
            alive.append(weakref.ref(batch))
            yield batch

    out = tmp_path / ("walk" if kind == "frames" else f"walk.{kind}")
    if kind == "frames":
        out.mkdir()  # the caller's temporary folder, as runs.atomic_path(folder=True) makes it
    media.write(kind, Path(out), tracked(), 24, 200, next(_batches(4, 4, side=64)))
    assert len(alive) == 20 and most_alive <= 2  # at most the batch being written and the next

"""``render_walk`` and ``artgen walk`` end to end, on a tiny generator."""

from __future__ import annotations

import importlib.util

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image

from artgen.cli import main
from artgen.errors import DependencyError, InputError, ModelError
from artgen.events import Preview, Progress
from artgen.walk import WalkConfig, render_walk


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A 32 px generator whose output changes visibly with the latent.

    Fresh DCGAN weights (N(0, 0.02)) give nearly the same grey image for every
    latent; kernels ten times larger make frames differ as a trained model's do.
    """
    import keras

    from artgen.dcgan.models import build_generator

    keras.utils.set_random_seed(0)
    generator = build_generator(size=32, latent_dim=8, width=8)
    generator.set_weights([w * 10 if w.ndim >= 2 else w for w in generator.get_weights()])
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    generator.save(path)
    return str(path)


def _frames(folder) -> np.ndarray:
    return np.stack([np.asarray(Image.open(p)) for p in sorted(folder.iterdir())])


def test_gif_has_every_frame_and_its_duration(tmp_path, model):
    events = []
    config = WalkConfig(out=str(tmp_path / "walk.gif"), model=model, frames=24, fps=24, batch_size=10)
    result = render_walk(config, on_event=events.append)
    assert result.frames == 24 and result.out.exists()
    frames = iio.imread(result.out, index=None)
    assert frames.shape == (24, 32, 32, 3)
    with Image.open(result.out) as im:
        delays = []
        for i in range(im.n_frames):
            im.seek(i)
            delays.append(im.info["duration"])
    assert set(delays) <= {40, 50} and sum(delays) == 1000  # 24 frames at 24 fps: one second
    progress = [e for e in events if isinstance(e, Progress)]
    assert [p.step for p in progress] == [10, 20, 24] and progress[-1].rate > 0
    previews = [e for e in events if isinstance(e, Preview)]
    assert len(previews) == 1 and Image.open(previews[0].path).size == (32, 32)
    assert list(tmp_path.iterdir()) == [result.out]  # no temporary left behind


def test_walk_loops_smoothly_and_is_deterministic(tmp_path, model):
    first = render_walk(WalkConfig(out=str(tmp_path / "a"), model=model, frames=32, keyframes=4))
    again = render_walk(WalkConfig(out=str(tmp_path / "b"), model=model, frames=32, keyframes=4))
    other = render_walk(WalkConfig(out=str(tmp_path / "c"), model=model, frames=32, keyframes=4, seed=1))
    frames = _frames(first.out).astype(np.float32)
    assert np.array_equal(frames, _frames(again.out))
    assert not np.array_equal(frames, _frames(other.out))
    steps = np.abs(np.diff(np.concatenate([frames, frames[:1]]), axis=0)).mean(axis=(1, 2, 3))
    closure = steps[-1]
    typical = np.median(steps)
    assert 0.25 * typical < closure < 2 * typical  # the way back to frame 0: no jump, no repeated frame
    jump = np.abs(frames[-1] - frames[8]).mean()  # what a loop restarting at the wrong frame would do
    assert jump > 2 * typical
    assert np.median(steps) > 0.5  # the model really moves, so the check above means something


def test_grid_places_independent_walks_and_cell_zero_is_the_single_walk(tmp_path, model):
    single = render_walk(WalkConfig(out=str(tmp_path / "one"), model=model, frames=8, keyframes=2))
    grid = render_walk(
        WalkConfig(out=str(tmp_path / "grid"), model=model, frames=8, keyframes=2, grid=(2, 3))
    )
    pictures = _frames(grid.out)
    assert pictures.shape == (8, 2 * 34 + 2, 3 * 34 + 2, 3)
    cell = pictures[:, 2:34, 2:34].astype(int)
    assert np.abs(cell - _frames(single.out)).max() <= 2  # batch size may change the last bit
    assert np.abs(cell - pictures[:, 2:34, 36:68]).mean() > 1  # its neighbour walks elsewhere


def test_size_upscales_with_crisp_pixels(tmp_path, model):
    result = render_walk(WalkConfig(out=str(tmp_path / "big"), model=model, frames=4, size=64))
    frames = _frames(result.out)
    assert frames.shape == (4, 64, 64, 3)
    assert np.array_equal(frames[:, ::2, ::2], frames[:, 1::2, 1::2])  # nearest: 2x2 blocks
    smooth = render_walk(WalkConfig(out=str(tmp_path / "s"), model=model, frames=4, size=48))
    assert _frames(smooth.out).shape == (4, 48, 48, 3)


def test_webp_output(tmp_path, model):
    result = render_walk(WalkConfig(out=str(tmp_path / "w.webp"), model=model, frames=12, fps=12))
    with Image.open(result.out) as im:
        assert im.is_animated and im.info["loop"] == 0 and im.size == (32, 32)


@pytest.mark.skipif(importlib.util.find_spec("imageio_ffmpeg") is None, reason="video extra not installed")
def test_mp4_output(tmp_path, model):
    result = render_walk(WalkConfig(out=str(tmp_path / "w.mp4"), model=model, frames=12, fps=12))
    assert iio.imread(result.out, index=None, plugin="FFMPEG").shape[0] == 12


def test_mp4_without_ffmpeg_fails_before_work(tmp_path, model, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "imageio_ffmpeg" else real(n, *a)
    )
    with pytest.raises(DependencyError, match="imageio-ffmpeg"):
        render_walk(WalkConfig(out=str(tmp_path / "w.mp4"), model=model, frames=4))
    assert list(tmp_path.iterdir()) == []


def test_bad_inputs_leave_nothing_behind(tmp_path, model):
    with pytest.raises(ModelError):
        render_walk(WalkConfig(out=str(tmp_path / "w.gif"), model=str(tmp_path / "missing.keras")))
    (tmp_path / "broken.keras").write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="cannot load"):
        render_walk(WalkConfig(out=str(tmp_path / "w.gif"), model=str(tmp_path / "broken.keras")))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.keras"]
    existing = tmp_path / "old.gif"
    existing.write_bytes(b"keep me")
    with pytest.raises(InputError, match="--overwrite"):
        render_walk(WalkConfig(out=str(existing), model=model, frames=4))
    assert existing.read_bytes() == b"keep me"
    render_walk(WalkConfig(out=str(existing), model=model, frames=4, overwrite=True))
    assert iio.imread(existing, index=None).shape[0] == 4


def test_stop_request_discards_the_partial_walk(tmp_path, model):
    calls = iter(range(100))
    result = render_walk(
        WalkConfig(out=str(tmp_path / "w.gif"), model=model, frames=40, batch_size=10),
        should_stop=lambda: next(calls) >= 2,
    )
    assert result.stopped and result.frames == 0
    assert list(tmp_path.iterdir()) == []


def test_cli_writes_and_reports_errors_in_one_line(tmp_path, model, capsys):
    out = tmp_path / "cli.gif"
    assert main(["walk", "--model", model, "--frames", "6", "--grid", "1x2", str(out)]) == 0
    assert iio.imread(out, index=None).shape == (6, 36, 70, 3)
    capsys.readouterr()
    assert main(["walk", "--model", model, str(out)]) == 2
    assert main(["walk", "--model", model, "--frames", "1", str(tmp_path / "x.gif")]) == 2
    assert main(["walk", "--model", model, str(tmp_path / "x.avi")]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3 and all(line.startswith("artgen: error: ") for line in errors)
    assert not (tmp_path / "x.gif").exists()


def test_traced_forward_matches_the_model_and_is_traced_once_per_model():
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("TensorFlow-only fast path")
    from artgen.dcgan.models import build_generator
    from artgen.walk.forward_tensorflow import traced

    generator = build_generator(size=32, latent_dim=8, width=8)
    z = np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32)
    forward = traced(generator)
    assert traced(generator) is forward
    np.testing.assert_allclose(np.asarray(forward(z)), np.asarray(generator(z, training=False)), atol=1e-5)
    assert np.asarray(forward(z[:2])).shape == (2, 32, 32, 3)  # any batch length, same trace

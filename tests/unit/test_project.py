"""``artgen project``: the distance, the search, the latents file, the command; on a tiny generator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artgen.cli import main
from artgen.errors import InputError
from artgen.events import Metrics, Progress
from artgen.generators.latents_file import read_latents, write_latents
from artgen.project import ProjectConfig
from artgen.project.search import Schedule


@pytest.fixture(scope="module")
def generator(tiny_generator: Path):
    from artgen.generators import sampling

    return sampling.load_generator(tiny_generator)


@pytest.fixture(scope="module")
def targets(generator, tmp_path_factory) -> tuple[list[str], np.ndarray]:
    """Three pictures the generator can draw (from latents no search starts at), saved as PNGs."""
    from artgen.generators import sampling

    pictures = sampling.generate(generator, sampling.latents(3, 8, seed=99))
    folder = tmp_path_factory.mktemp("targets")
    paths = []
    for index, picture in enumerate(pictures):
        paths.append(str(folder / f"target-{index}.png"))
        Image.fromarray(picture).save(paths[-1])
    return paths, pictures


def _features(generator, pictures: np.ndarray) -> list[np.ndarray]:
    from artgen.project import distance, search
    from artgen.vgg import build_features

    vgg = build_features("vgg16", distance.LAYERS)
    run = search.backend().compiled(generator, vgg, lambda g, v, x: distance.features(v, x))
    return [np.asarray(f) for f in run(pictures.astype(np.float32) / 127.5 - 1)]


@pytest.mark.slow
def test_distance_is_zero_for_a_picture_itself_and_pairwise_agrees_with_it(generator, targets):
    from artgen.project import distance

    _, pictures = targets
    found = _features(generator, pictures)
    assert [f.shape[0] for f in found] == [3] * 5 and found[0].shape[1:3] == (32, 32)
    norms = np.linalg.norm(found[1], axis=-1)
    assert np.allclose(norms[norms > 0.5], 1, atol=1e-4)  # unit channel vectors
    each = np.asarray(distance.perceptual(found, [f[::-1] for f in found]))
    assert each.shape == (3,) and each[1] == pytest.approx(0, abs=1e-6) and each[0] > 0.05
    table = distance.pairwise(found, found)
    assert table.shape == (3, 3) and np.allclose(np.diag(table), 0, atol=1e-4)
    np.testing.assert_allclose(table[0, 2], each[0], rtol=1e-4)


def test_schedule_ramps_up_and_down_and_its_noise_fades_by_three_quarters():
    schedule = Schedule(steps=100, learning_rate=0.1, noise=0.05)
    rates = [schedule.rate(step) for step in range(100)]
    assert 0 < rates[0] < rates[4] == pytest.approx(0.1) and max(rates) == pytest.approx(0.1)
    assert rates[-1] < 0.01 and rates[60] == pytest.approx(0.1)
    assert schedule.noise_scale(0) == 0.05 and schedule.noise_scale(75) == 0 == schedule.noise_scale(99)


@pytest.mark.slow
def test_search_loss_falls_and_beats_the_nearest_of_many_random_latents(generator, targets):
    from artgen.generators import sampling
    from artgen.project import distance, find_latents

    paths, pictures = targets
    events = []
    config = ProjectConfig.tiny(tuple(paths), "unused.npz", steps=60)
    found = find_latents(generator, pictures, config, on_event=events.append)
    assert found.latents.shape == (3, 8) and found.reconstructions.shape == (3, 32, 32, 3)
    random = sampling.generate(generator, sampling.latents(256, 8, seed=5))
    nearest = distance.pairwise(_features(generator, random), _features(generator, pictures)).min(axis=0)
    made = np.diag(
        distance.pairwise(_features(generator, found.reconstructions), _features(generator, pictures))
    )
    np.testing.assert_allclose(made, found.distances, rtol=0.05, atol=1e-3)  # as it measured them
    assert made.mean() < 0.5 * nearest.mean()
    progress = [e for e in events if isinstance(e, Progress)]
    assert [p.step for p in progress] == list(range(1, 61)) and progress[-1].total == 60
    metrics = [e.values["distance"] for e in events if isinstance(e, Metrics)]
    assert len(metrics) == 6 and metrics[-1] < 0.5 * metrics[0]  # the loss falls


@pytest.mark.slow
def test_stopping_writes_nothing(tiny_generator, targets, tmp_path):
    from artgen.project import project_images

    calls = iter(range(1000))
    config = ProjectConfig.tiny(tuple(targets[0]), str(tmp_path / "x.npz"), model=str(tiny_generator))
    result = project_images(config, should_stop=lambda: next(calls) >= 5)
    assert result.stopped and result.count == 0 and list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_project_writes_latents_that_round_trip_and_a_side_by_side_png(
    tiny_generator, targets, tmp_path, capsys
):
    paths, pictures = targets
    out = tmp_path / "found.npz"
    argv = ["project", *paths, "--model", str(tiny_generator), "-o", str(out), "--steps", "20"]
    assert main([*argv, "--restarts", "2", "--candidates", "8", "--no-history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"wrote {out} (3 latents, mean perceptual distance ")
    assert lines[1].startswith(f"wrote {tmp_path / 'found.png'} ")
    found = read_latents(out, tiny_generator)
    assert found.latents.shape == (3, 8) and found.latents.dtype == np.float32
    assert found.names == ("target-0.png", "target-1.png", "target-2.png")
    with np.load(out, allow_pickle=False) as data:  # plain arrays only
        assert all(data[key].dtype != object for key in data.files)
    side = np.asarray(Image.open(tmp_path / "found.png"))
    assert side.shape == (2 + 2 * 34, 2 + 4 * 34, 3)  # 2 pairs a row: target, reconstruction, ...
    assert np.array_equal(side[2:34, 2:34], pictures[0]) and np.array_equal(side[2:34, 70:102], pictures[1])
    # artgen sample --latents draws the same reconstructions
    grid = tmp_path / "again.png"
    assert (
        main(["sample", "--model", str(tiny_generator), "--latents", str(out), "--columns", "3", str(grid)])
        == 0
    )
    again = np.asarray(Image.open(grid))
    for index, left in enumerate((2, 70)):
        drawn = again[2:34, 2 + 34 * index : 34 + 34 * index].astype(int)
        assert np.abs(drawn - side[2:34, left + 34 : left + 66]).max() <= 1
    assert main([*argv, "--no-history"]) == 2  # the name is taken now
    assert "exists; pass --overwrite" in capsys.readouterr().err


def test_latents_file_refuses_another_generator_a_wrong_shape_and_other_files(tmp_path):
    model, other = tmp_path / "a.keras", tmp_path / "b.keras"
    model.write_bytes(b"one generator")
    other.write_bytes(b"another generator")
    path = tmp_path / "k.npz"
    write_latents(path, np.ones((2, 8)), model, ["x", "y"])
    assert read_latents(path, model).latents.shape == (2, 8)
    with pytest.raises(InputError, match=r"k.npz was made with another generator \(a.keras, not b.keras\)"):
        read_latents(path, other)
    with np.load(path) as data:
        arrays = {key: data[key] for key in data.files}
    np.savez(tmp_path / "shape.npz", **{**arrays, "latents": np.ones((2, 4), np.float32)})
    np.savez(tmp_path / "cube.npz", **{**arrays, "latents": np.ones((2, 8, 1), np.float32)})
    np.savez(tmp_path / "nan.npz", **{**arrays, "latents": np.full((2, 8), np.nan, np.float32)})
    np.savez(tmp_path / "pickle.npz", **{**arrays, "names": np.array([{"a": 1}, None], dtype=object)})
    np.savez(tmp_path / "plain.npz", latents=np.ones((2, 8)))
    np.save(tmp_path / "bare.npy", np.ones((2, 8)))
    (tmp_path / "text.npz").write_text("not numpy\n")
    cases = {
        "shape.npz": "latents of shape (2, 4), where 8-long rows were recorded",
        "cube.npz": "latents of shape (2, 8, 1)",
        "nan.npz": "values that are not numbers",
        "pickle.npz": "not an artgen latents file",
        "plain.npz": "not an artgen latents file",
        "bare.npy": "not an artgen latents file",
        "text.npz": "not an artgen latents file",
        "missing.npz": "no such file",
    }
    for name, message in cases.items():
        with pytest.raises(
            InputError,
            match=f"^--keyframes {tmp_path / name}.*{message}".replace("(", r"\(").replace(")", r"\)"),
        ):
            read_latents(tmp_path / name, model, "--keyframes")


@pytest.mark.slow
def test_jax_takes_the_same_gradient_and_its_search_falls_too(tiny_generator, targets, tmp_path):
    """The JAX gradient module against TensorFlow's, at the same latents (a fresh interpreter: the
    backend is fixed once a process has loaded Keras)."""
    pytest.importorskip("jax")
    script = """
import json, sys
import numpy as np
from artgen.generators import sampling
from artgen.project import ProjectConfig, distance, find_latents, search
from artgen.project.engine import read_pictures
from artgen.vgg import build_features
generator = sampling.load_generator(sys.argv[1])
paths = json.loads(sys.argv[2])
pictures = read_pictures(paths, 32)
targets = pictures.astype(np.float32) / 127.5 - 1
vgg = build_features("vgg16", distance.LAYERS)
backend = search.backend()
features = backend.compiled(generator, vgg, lambda g, v, x: distance.features(v, x))
wanted = [np.asarray(f) for f in features(targets)]
z = sampling.latents(3, 8, seed=1)
gradient = backend.value_and_grad(generator, vgg, distance.objective)
(_, (loss, far)), grad = gradient(z, wanted, targets, np.float32(1))
import keras
found = []
if keras.backend.backend() == "jax":  # TensorFlow's search is every other test's
    config = ProjectConfig.tiny(tuple(paths), "x.npz", steps=40)
    found = find_latents(generator, pictures, config).distances.tolist()
print(json.dumps({"backend": keras.backend.backend(), "loss": np.asarray(loss).tolist(),
                  "grad": np.asarray(grad).tolist(), "found": found}))
"""
    paths = json.dumps(targets[0])
    results = {}
    for backend in ("tensorflow", "jax"):
        done = subprocess.run(
            [sys.executable, "-c", script, str(tiny_generator), paths],
            capture_output=True,
            text=True,
            env={**os.environ, "KERAS_BACKEND": backend},
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        results[backend] = json.loads(done.stdout.strip().splitlines()[-1])
        assert results[backend]["backend"] == backend
    tf, jx = results["tensorflow"], results["jax"]
    np.testing.assert_allclose(jx["loss"], tf["loss"], rtol=1e-3)
    np.testing.assert_allclose(jx["grad"], tf["grad"], rtol=1e-2, atol=1e-4)
    assert np.mean(jx["found"]) < 0.5 * np.mean(tf["loss"])  # from far-off latents to near the targets

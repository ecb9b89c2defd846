"""Spectral normalization in the discriminator, DiffAugment by dataset size, and old runs.

The spectral-norm run goes through both Keras backends in fresh interpreters (a
process's backend is fixed once set): Keras's SpectralNormalization assigns its
power-iteration vector (and under TensorFlow the kernel) during the call, which
each backend's step must carry.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from artgen.dcgan import TrainConfig, augment, train
from artgen.dcgan.config import AUGMENTATIONS
from artgen.events import Message
from artgen.stored import read_json

ROOT = Path(__file__).resolve().parents[2]

SPECTRAL_RUN = """
import json, sys
import keras, numpy as np
from artgen.dcgan import TrainConfig, train
from artgen.dcgan.models import build_discriminator
data, out = sys.argv[1], sys.argv[2]
common = dict(steps=4, checkpoint_every=2, spectral_norm=True)
train(TrainConfig.tiny(data, run_dir=out + "/a", **common))
config = TrainConfig.tiny(data, run_dir=out + "/b", **common)
calls = iter(range(100))
assert train(config, should_stop=lambda: next(calls) >= 2).stopped
train(config)
d = build_discriminator(32, 8, spectral_norm=True, seed=3)
names = [type(layer).__name__ for layer in d.layers]
d(np.zeros((2, 32, 32, 3), "float32"), training=True)
wrapped = [layer for layer in d.layers if type(layer).__name__ == "SpectralNormalization"]
u = [keras.ops.convert_to_numpy(layer.vector_u).tolist() for layer in wrapped]
print(json.dumps({"backend": keras.backend.backend(), "layers": names, "u": u}))
"""


def _losses(run_dir: Path) -> np.ndarray:
    return np.loadtxt(run_dir / "metrics.csv", delimiter=",", skiprows=1, ndmin=2)[:, 1:5]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_spectral_norm_discriminator_trains_and_resumes_on_each_backend(
    backend: str, tmp_path: Path, shapes_dir: Path
) -> None:
    if backend == "jax":
        pytest.importorskip("jax")
    result = subprocess.run(
        [sys.executable, "-c", SPECTRAL_RUN, str(shapes_dir), str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(ROOT)},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    info = json.loads(result.stdout.strip().splitlines()[-1])
    assert info["backend"] == backend
    # Every conv and the dense layer wrapped; no batch norm left in the discriminator.
    assert info["layers"].count("SpectralNormalization") == 4
    assert "BatchNormalization" not in info["layers"]
    # The power iteration ran: each u is a unit vector (it starts as N(0, 0.02) noise).
    assert all(abs(np.linalg.norm(u) - 1.0) < 1e-4 for u in info["u"])
    straight, resumed = _losses(tmp_path / "a"), _losses(tmp_path / "b")
    assert straight.shape == (4, 4) and np.isfinite(straight).all()
    np.testing.assert_allclose(resumed, straight, rtol=1e-5)


def test_spectral_norm_bounds_the_discriminators_kernels() -> None:
    """After a training call, W/sigma(W) has largest singular value 1 (power iteration converges)."""
    import keras

    from artgen.dcgan.models import build_discriminator

    model = build_discriminator(32, 8, spectral_norm=True, seed=1)
    batch = np.random.default_rng(0).uniform(-1, 1, (4, 32, 32, 3)).astype("float32")
    layer = next(layer for layer in model.layers if isinstance(layer, keras.layers.SpectralNormalization))
    for _ in range(30):  # one power iteration per call
        model(batch, training=True)
    _, normalized = layer.normalized_weights()
    matrix = keras.ops.convert_to_numpy(normalized).reshape(-1, normalized.shape[-1])
    assert np.linalg.svd(matrix, compute_uv=False)[0] == pytest.approx(1.0, abs=0.02)
    plain = build_discriminator(32, 8, seed=1)
    assert not any(isinstance(layer, keras.layers.SpectralNormalization) for layer in plain.layers)


def test_diffaugment_is_chosen_by_dataset_size() -> None:
    config = TrainConfig(data_dir="x", augment_below=2000)
    assert augment.policy_for(config, 1000) == AUGMENTATIONS
    assert augment.policy_for(config, 2000) == ()
    assert augment.policy_for(dataclasses.replace(config, augment=("color",)), 10) == ("color",)
    assert augment.policy_for(dataclasses.replace(config, augment_below=0), 1) == ()


@pytest.mark.slow
def test_auto_diffaugment_trains_as_the_explicit_policy_and_keeps_the_setting(
    tmp_path: Path, shapes_dir: Path
) -> None:
    events: list = []

    def run(name: str, **settings) -> None:
        config = TrainConfig.tiny(str(shapes_dir), run_dir=str(tmp_path / name), steps=3, **settings)
        train(config, events.append if name == "auto" else lambda event: None)

    run("auto", augment_below=25)  # the 24 shapes are under 25 images: augmented
    run("all", augment=AUGMENTATIONS)
    run("off", augment_below=24)
    np.testing.assert_array_equal(_losses(tmp_path / "auto"), _losses(tmp_path / "all"))
    assert not np.array_equal(_losses(tmp_path / "off"), _losses(tmp_path / "all"))
    said = [e.text for e in events if isinstance(e, Message)]
    assert any("24 images (under 25): DiffAugment translation,color,cutout" in text for text in said)
    stored = read_json(tmp_path / "auto" / "config.json")
    assert stored["augment"] == [] and stored["augment_below"] == 25  # resume decides again, alike


def test_the_train_command_takes_both_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from artgen.cli import build_parser, main
    from artgen.cli.train import config_from_args

    args = build_parser().parse_args(["train", str(tmp_path), "--spectral-norm", "--augment-below", "3000"])
    config = config_from_args(args)
    assert (config.spectral_norm, config.augment_below) == (True, 3000)
    assert main(["train", str(tmp_path), "--augment-below", "-1"]) == 2
    assert "--augment-below must be between 0 and" in capsys.readouterr().err.replace("\n", " ")

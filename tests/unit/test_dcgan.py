"""The DCGAN engine on a tiny dataset: files, resume, stop, divergence, sampling."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artgen import runs
from artgen.cli import main
from artgen.dcgan import TrainConfig, train, training
from artgen.dcgan.models import build_discriminator, build_generator
from artgen.errors import InputError, ModelError, OutOfMemory, RunDirError, TrainingDiverged
from artgen.events import Metrics, Preview, Progress
from artgen.generators import locate, sampling, selection


def _metrics(run_dir: Path) -> np.ndarray:
    return np.loadtxt(run_dir / "metrics.csv", delimiter=",", skiprows=1)


@pytest.mark.parametrize("size", [32, 64, 128])
def test_networks_have_the_right_shapes(size: int) -> None:
    generator = build_generator(size, latent_dim=8, width=4)
    discriminator = build_discriminator(size, width=4)
    images = generator(np.zeros((2, 8), np.float32))
    assert tuple(images.shape) == (2, size, size, 3)
    assert tuple(discriminator(images).shape) == (2, 1)


@pytest.mark.slow
def test_a_run_writes_every_file(tmp_path: Path, shapes_dir: Path) -> None:
    events: list = []
    config = TrainConfig.tiny(
        str(shapes_dir),
        run_dir=str(tmp_path / "run"),
        steps=6,
        augment=("translation", "color", "cutout"),
        sample_every=3,
    )
    result = train(config, on_event=events.append)
    run = result.run_dir
    assert result.step == 6 and not result.stopped
    for name in (
        "config.json",
        "metrics.csv",
        "loss.png",
        "generator.keras",
        "images/step-00000003.png",
        "images/final.png",
    ):
        assert (run / name).is_file(), name
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "step-00000004.npz",
        "step-00000006.npz",
    ]
    assert not list(run.rglob(f"{runs.TMP_PREFIX}*"))
    rows = _metrics(run)
    assert rows.shape == (6, 8) and np.isfinite(rows[:, :6]).all()  # no FD/KID without --eval-every
    assert rows[:, 3].min() > 0 and rows[:, 3].max() < 1  # D(x) is a probability
    steps = [e.step for e in events if isinstance(e, Progress) and e.unit == "step"]
    assert steps == [0, 1, 2, 3, 4, 5, 6]  # step 0: the bar shown while the train step is built
    assert any(isinstance(e, Metrics) and "g_loss" in e.values for e in events)
    assert any(isinstance(e, Preview) and e.path.endswith("final.png") for e in events)
    assert Image.open(run / "images" / "final.png").size[0] > 32


@pytest.mark.slow
def test_resumed_run_matches_an_uninterrupted_one(tmp_path: Path, shapes_dir: Path) -> None:
    common = dict(steps=6, checkpoint_every=3, augment=("translation", "cutout"))
    straight = train(TrainConfig.tiny(str(shapes_dir), run_dir=str(tmp_path / "a"), **common))
    config = TrainConfig.tiny(str(shapes_dir), run_dir=str(tmp_path / "b"), **common)
    calls = iter(range(100))
    stopped = train(config, should_stop=lambda: next(calls) >= 4)
    assert stopped.stopped and stopped.step == 4 and stopped.generator_path is None
    assert (tmp_path / "b" / "checkpoints" / "step-00000004.npz").is_file()
    resumed = train(config)
    assert resumed.step == 6
    np.testing.assert_allclose(_metrics(resumed.run_dir)[:, :5], _metrics(straight.run_dir)[:, :5], rtol=1e-5)


def test_stopped_run_can_be_sampled_from_its_checkpoint(tmp_path: Path, shapes_dir: Path) -> None:
    config = TrainConfig.tiny(str(shapes_dir), run_dir=str(tmp_path / "run"), steps=50)
    result = train(config, should_stop=lambda: True)
    assert result.stopped and result.step == 0
    pictures = sampling.sample(tmp_path / "run", count=3, seed=1)
    assert pictures.shape == (3, 32, 32, 3) and pictures.dtype == np.uint8


def test_existing_run_is_not_overwritten_by_a_new_one(tmp_path: Path, shapes_dir: Path) -> None:
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(RunDirError, match="not an artgen run"):
        train(TrainConfig.tiny(str(shapes_dir), run_dir=str(foreign)))
    assert (foreign / "keep.txt").read_text() == "mine"


def _wrap_trainer(monkeypatch: pytest.MonkeyPatch, wrap) -> None:
    """Make every trainer the engine builds go through ``wrap(trainer)`` first."""
    original = training.placement

    def placement(config):
        place = original(config)
        return dataclasses.replace(place, make_trainer=lambda gan: wrap(place.make_trainer(gan)))

    monkeypatch.setattr(training, "placement", placement)


@pytest.mark.slow
def test_nan_loss_stops_with_the_last_checkpoint_kept(
    tmp_path: Path, shapes_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def poison(trainer):
        original, count = trainer.step, iter(range(100))
        trainer.step = lambda inputs: (
            {**original(inputs), "g_loss": math.nan} if next(count) == 4 else original(inputs)
        )
        return trainer

    _wrap_trainer(monkeypatch, poison)
    config = TrainConfig.tiny(str(shapes_dir), run_dir=str(tmp_path / "run"), steps=8, checkpoint_every=2)
    with pytest.raises(TrainingDiverged, match="step 5.*step 4"):
        train(config)
    checkpoints = sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir())
    assert checkpoints[-1] == "step-00000004.npz"
    assert sampling.sample(tmp_path / "run", count=1).shape == (1, 32, 32, 3)


def test_same_seed_same_samples_and_a_bare_generator_cannot_select(tmp_path: Path) -> None:
    generator = build_generator(32, latent_dim=8, width=4)
    path = tmp_path / "g.keras"
    generator.save(path)
    assert np.array_equal(sampling.sample(path, 4, seed=3), sampling.sample(path, 4, seed=3))
    assert not np.array_equal(sampling.sample(path, 4, seed=3), sampling.sample(path, 4, seed=4))
    assert np.array_equal(sampling.latents(8, 8, seed=3)[:4], sampling.latents(4, 8, seed=3))
    with pytest.raises(ModelError, match="has none: pass --model RUN_DIR"):
        sampling.sample(path, 4, select=0.5)


@pytest.mark.slow
def test_select_keeps_the_candidates_the_run_discriminator_rates_most_real(
    tmp_path: Path, shapes_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    train(TrainConfig.tiny(str(shapes_dir), run_dir=str(run), steps=4))
    candidates = sampling.sample(run, 10, seed=5)
    critic = selection.load_critic(run / "generator.keras")
    rated = selection.critic_scores(critic, candidates)
    kept = sampling.sample(run, 5, seed=5, select=0.5)  # the better half of the 10 above
    best_five = np.sort(np.argsort(-rated)[:5])
    assert np.array_equal(kept, candidates[best_five])
    assert rated[best_five].min() >= np.delete(rated, best_five).max()
    assert selection.pool_size(5, 0.4) == 13 and selection.pool_size(3, 1.0) == 3
    assert locate.critic_checkpoint(run / "generator.keras").name == "step-00000004.npz"
    assert locate.critic_checkpoint(run / "checkpoints" / "step-00000002.npz").name == "step-00000002.npz"
    assert locate.critic_checkpoint(locate.DEFAULT_GENERATOR) is None
    out = tmp_path / "kept.png"
    assert main(["sample", "--model", str(run), "-n", "5", "--seed", "5", "--select", "0.5", str(out)]) == 0
    assert "discriminator of" in capsys.readouterr().err.replace("\n", "") and out.is_file()


def test_config_validation_and_round_trip(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--size"):
        TrainConfig(data_dir="x", size=48)
    with pytest.raises(InputError, match="augmentation"):
        TrainConfig(data_dir="x", augment=("blur",))
    config = TrainConfig(data_dir="x", augment=("color",), steps=5, batch_size=64)
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert TrainConfig.from_dict({"engine": "dcgan", **config.to_dict()}) == config  # as stored in a run
    with pytest.raises(InputError, match="unknown train settings: sizee"):
        TrainConfig.from_dict({"data_dir": "x", "sizee": 64})
    assert dataclasses.replace(config, steps=None, epochs=3).total_steps(640) == 30


@pytest.mark.slow
def test_out_of_memory_names_the_options_to_lower(
    tmp_path: Path, shapes_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class ResourceExhaustedError(RuntimeError):
        """Named like TensorFlow's, which is how the engine recognises it."""

    def exhaust(trainer):
        original, count = trainer.step, iter(range(100))

        def step(inputs):
            if next(count) == 2:
                raise ResourceExhaustedError("OOM when allocating tensor")
            return original(inputs)

        trainer.step = step
        return trainer

    _wrap_trainer(monkeypatch, exhaust)
    config = TrainConfig.tiny(str(shapes_dir), run_dir=str(tmp_path / "run"), steps=4, checkpoint_every=2)
    with pytest.raises(OutOfMemory, match="step 3 .*lower --batch-size or --size.*step 2 is intact"):
        train(config)
    assert (tmp_path / "run" / "checkpoints" / "step-00000002.npz").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["mixed", "bf16"])
def test_mixed_precision_trains_with_float32_outputs(
    tmp_path: Path, shapes_dir: Path, precision: str
) -> None:
    config = TrainConfig.tiny(str(shapes_dir), run_dir=str(tmp_path / "run"), steps=2, precision=precision)
    result = train(config)
    assert np.isfinite(_metrics(result.run_dir)[:, :6]).all()
    generator = sampling.load_generator(result.run_dir)
    assert str(generator.output.dtype).endswith("float32")
    assert generator.layers[1].dtype_policy.compute_dtype in ("float16", "bfloat16")


@pytest.mark.parametrize("loss", ["ns", "hinge"])
def test_replica_shares_of_the_update_sum_to_the_global_batch(loss: str) -> None:
    """What each replica of a mirrored step reports, summed, is what one device computes."""
    import keras
    from keras import ops

    from artgen.dcgan import update

    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(8, 1)).astype(np.float32), rng.normal(size=(8, 1)).astype(np.float32)
    whole = update.gan_outputs(real, fake, loss, 0.9)
    halves = [update.gan_outputs(real[i : i + 4], fake[i : i + 4], loss, 0.9, replicas=2) for i in (0, 4)]
    for name, value in whole.items():
        summed = sum(float(ops.convert_to_numpy(half[name])) for half in halves)
        assert summed == pytest.approx(float(ops.convert_to_numpy(value)), rel=1e-6), name
    assert update.scale_loss(whole["d_loss"], keras.optimizers.Adam()) is whole["d_loss"]  # no loss scaling


@pytest.mark.slow
def test_generators_import_none_of_their_users() -> None:
    """Finding, loading and sampling a generator sits beneath the trainer, ``sample`` and ``walk``."""
    import subprocess
    import sys

    code = "import sys, artgen.generators.output, artgen.generators.sampling; print(*sorted(sys.modules))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    users = ("artgen.dcgan.training", "artgen.walk", "artgen.cli", "artgen.jobs")
    assert [name for name in run.stdout.split() if name.startswith(users)] == []
    assert "artgen.generators.sampling" in run.stdout.split()  # the probe saw the modules it loaded

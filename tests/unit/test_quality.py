"""FD/KID, the eval command, quality during training, recipes and old run directories."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from artgen.cli import main
from artgen.dcgan import TrainConfig, checkpoint, schedule, train, training
from artgen.dcgan.schedule import EvalSchedule
from artgen.dcgan.watch import Evaluation, judge
from artgen.errors import InputError
from artgen.events import Message, Metrics
from artgen.quality import diversity, frechet_distance, kernel_distance, manifold, precision_recall, score
from artgen.stored import read_json

# d_loss, g_loss, D(x), D(G(z)) of the first 5 steps of TrainConfig.tiny(shapes, steps=5,
# augment=all), recorded with the trainer of commit fd8865e (before recipes existed).
CLASSIC_LOSSES = [
    [1.3957759141921997, 0.7548288106918335, 0.47117364406585693, 0.47351521253585815],
    [1.4452965259552002, 0.7031171321868896, 0.4769620895385742, 0.5016233921051025],
    [1.429541826248169, 0.7079248428344727, 0.46994221210479736, 0.4943692684173584],
    [1.3791472911834717, 0.7424466013908386, 0.48274362087249756, 0.4780144691467285],
    [1.4754656553268433, 0.7057399749755859, 0.4471726417541504, 0.49498221278190613],
]
LOSS_KEYS = ("d_loss", "g_loss", "d_real", "d_fake")


def _gaussian(count: int, shift: float = 0.0, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((count, 16)) + shift


def test_distances_are_zero_for_one_set_grow_with_a_shift_and_are_symmetric() -> None:
    a, b = _gaussian(600, seed=1), _gaussian(600, seed=2)
    assert frechet_distance(a, a) < 1e-6
    near, far = frechet_distance(a, b), frechet_distance(a, _gaussian(600, 1.0, seed=2))
    assert near < 0.5 < far < frechet_distance(a, _gaussian(600, 2.0, seed=2))
    assert frechet_distance(b, a) == pytest.approx(near, rel=1e-6)
    kid, kid_se = kernel_distance(a, b)
    assert abs(kid) < 3 * kid_se + 1e-3  # unbiased: zero within its error for one distribution
    assert kernel_distance(a, _gaussian(600, 1.0, seed=2))[0] > 10 * kid_se
    shifted = _gaussian(600, 1.0, seed=2)
    assert kernel_distance(shifted, a)[0] == pytest.approx(kernel_distance(a, shifted)[0], rel=1e-9)
    assert diversity(np.repeat(a[:1], 50, axis=0)) == 0.0 < diversity(a)


def test_precision_and_recall_tell_collapse_from_blur_where_fd_cannot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real, other = _gaussian(600, seed=1)[:, :8], _gaussian(600, seed=2)[:, :8]
    halves = precision_recall(other, real)
    assert min(halves) > 0.85  # one distribution: both near 1 (k=3 misses only the sparse tail)
    typical = other[np.argmin(np.linalg.norm(other, axis=1))]
    assert precision_recall(np.repeat(typical[None], 600, axis=0), real) == (1.0, 0.0)  # collapsed
    assert precision_recall(_gaussian(600, 6.0, seed=3)[:, :8], real) == (0.0, 0.0)  # elsewhere: noise
    # 0.3x and 1.7x the spread are equally far by FD, but one is sharp and narrow, the other blurry and wide.
    narrow, wide = 0.3 * other, 1.7 * other
    assert frechet_distance(narrow, real) == pytest.approx(frechet_distance(wide, real), rel=0.1)
    (narrow_p, narrow_r), (wide_p, wide_r) = precision_recall(narrow, real), precision_recall(wide, real)
    assert narrow_p > 0.95 and narrow_r < 0.1 and wide_p < 0.4 and wide_r > 0.9
    monkeypatch.setattr(manifold, "ROWS", 7)  # the distance matrix in slices gives the same figures
    assert precision_recall(other, real) == halves


def test_score_counts_and_refuses_tiny_sets() -> None:
    assert score(_gaussian(40), _gaussian(80, seed=3)).count == 40
    with pytest.raises(ValueError):
        score(_gaussian(3), _gaussian(80))


@pytest.mark.slow
def test_eval_scores_a_generator_and_a_folder_with_the_asked_count(
    tmp_path: Path, shapes_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from artgen.dcgan.models import build_generator

    build_generator(32, latent_dim=8, width=4).save(tmp_path / "g.keras")
    assert main(["eval", str(tmp_path / "g.keras"), str(shapes_dir), "-n", "12", "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["count"] == 12 and made["size"] == 32 and made["fd"] > 0
    assert 0 <= made["precision"] <= 1 and 0 <= made["recall"] <= 1
    assert main(["eval", str(shapes_dir), str(shapes_dir), "-n", "12", "--json"]) == 0
    same = json.loads(capsys.readouterr().out)
    assert same["count"] == 12 and same["fd"] < 1e-3 < made["fd"]
    assert same["precision"] == same["recall"] == 1.0  # the same images cover each other
    assert main(["eval", str(tmp_path / "missing"), str(shapes_dir)]) == 2


def test_rising_fd_raises_the_alarm_and_a_young_generator_is_not_collapsed() -> None:
    assert judge([5.0, 4.0, 3.0, 2.0], 1.0, 1.0) is None
    assert "rose 3 evaluations" in judge([2.0, 3.0, 4.0, 5.0], 1.0, 1.0)
    assert judge([2.0, 3.0, 2.5, 5.0], 1.0, 1.0) is None
    assert "diversity" in judge([2.0], 0.2, 0.9)
    assert judge([2.0], 0.2, 0.2) is None  # it never had variety: early training, not a collapse


def _forced_fds(monkeypatch: pytest.MonkeyPatch, fds: list[float]) -> list[int]:
    """Make the watch report ``fds`` in turn (and remember the steps it was asked at)."""
    from artgen.dcgan import watch

    steps: list[int] = []
    values = iter(fds)
    monkeypatch.setattr(watch.QualityWatch, "__init__", _fake_watch_init)

    def evaluate(self, generator, step):
        fd = next(values)
        steps.append(step)
        state = self.state
        is_best = fd < state.best_fd
        if is_best:
            state.best_fd, state.best_step = fd, step
        state.recent = [*state.recent, fd][-4:]
        return Evaluation(step, fd, fd / 100, 0.0, 1.0, is_best, judge(state.recent, 1.0, 1.0))

    monkeypatch.setattr(watch.QualityWatch, "evaluate", evaluate)
    return steps


def _fake_watch_init(self, images, latent_dim, seed, count, path, state, on_event=None) -> None:
    self.path, self.state = path, state


@pytest.mark.slow
def test_forced_rising_fd_warns_and_keeps_the_best_generator(
    tmp_path: Path, shapes_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = _forced_fds(monkeypatch, [9.0, 5.0, 6.0, 7.0, 8.0, 9.0])
    events: list = []
    config = TrainConfig.tiny(str(shapes_dir), run_dir=str(tmp_path / "run"), steps=12, eval_every=2)
    train(config, on_event=events.append)
    assert steps == [2, 4, 6, 8, 10, 12]
    warnings = [e.text for e in events if isinstance(e, Message) and e.level == "warning"]
    assert len(warnings) == 2 and "FD rose 3 evaluations" in warnings[0] and "step 10" in warnings[0]
    assert (tmp_path / "run" / "generator-best.keras").is_file()
    assert checkpoint.latest(tmp_path / "run" / "best").name == "step-00000004.npz"
    rows = np.genfromtxt(tmp_path / "run" / "metrics.csv", delimiter=",", names=True)
    assert list(rows["fd"][~np.isnan(rows["fd"])]) == [9.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    assert any(isinstance(e, Metrics) and e.values.get("fd") == 5.0 and "g_loss" in e.values for e in events)


@pytest.mark.slow
def test_rollback_restores_the_best_weights_with_a_lower_learning_rate(
    tmp_path: Path, shapes_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _forced_fds(monkeypatch, [5.0, 6.0, 7.0, 8.0, 9.0])
    restored: list = []
    original = training._Loop._checkpoint

    def spy(self, step):
        if step == 8:  # the rolled-back state, saved at the step of the rollback
            restored.append([w.copy() for w in (np.asarray(v) for v in self.gan.generator.weights)])
            restored.append(float(np.asarray(self.gan.g_optimizer.learning_rate)))
        original(self, step)

    monkeypatch.setattr(training._Loop, "_checkpoint", spy)
    config = TrainConfig.tiny(
        str(shapes_dir), run_dir=str(tmp_path / "run"), steps=10, eval_every=2, on_collapse="rollback"
    )
    events: list = []
    train(config, on_event=events.append)
    assert any("rolled back" in e.text for e in events if isinstance(e, Message))
    best = checkpoint.load_group(checkpoint.latest(tmp_path / "run" / "best"), "generator")
    for got, want in zip(restored[0], best, strict=True):
        np.testing.assert_array_equal(got, want)
    assert restored[1] == pytest.approx(config.learning_rate / 2)


@pytest.mark.slow
def test_collapse_can_stop_the_run(tmp_path: Path, shapes_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _forced_fds(monkeypatch, [5.0, 6.0, 7.0, 8.0])
    config = TrainConfig.tiny(
        str(shapes_dir), run_dir=str(tmp_path / "run"), steps=20, eval_every=2, on_collapse="stop"
    )
    result = train(config)
    assert result.stopped and result.step == 8


def _losses(events: list) -> list[list[float]]:
    return [
        [e.values[key] for key in LOSS_KEYS]
        for e in events
        if isinstance(e, Metrics) and "d_loss" in e.values
    ]


@pytest.mark.slow
def test_classic_recipe_reproduces_the_old_trainer_loss_for_loss(tmp_path: Path, shapes_dir: Path) -> None:
    events: list = []
    config = TrainConfig.tiny(
        str(shapes_dir), run_dir=str(tmp_path / "run"), steps=5, recipe="classic",
        augment=("translation", "color", "cutout"),
    )  # fmt: skip
    assert config.label_smoothing == 0.9 and config.loss == "ns" and not config.ema_bn
    assert TrainConfig.with_recipe("classic", data_dir="x").width == 64
    train(config, on_event=events.append)
    np.testing.assert_allclose(_losses(events), CLASSIC_LOSSES, rtol=1e-5)


@pytest.mark.slow
def test_a_short_run_samples_show_what_the_generator_learned(tmp_path: Path, shapes_dir: Path) -> None:
    """BatchNorm statistics of the EMA copy are measured again: early grids are not flat grey."""
    config = TrainConfig.tiny(str(shapes_dir), run_dir=str(tmp_path / "run"), steps=20, sample_every=20)
    train(config)
    from PIL import Image

    grid = np.asarray(Image.open(tmp_path / "run" / "images" / "final.png"), dtype=np.float32)
    tiles = grid[2:34, 2:34].std(), grid[2:34, 36:68].mean() - grid[2:34, 2:34].mean()
    assert tiles[0] > 8.0 or abs(tiles[1]) > 8.0
    classic = TrainConfig.tiny(str(shapes_dir), run_dir=str(tmp_path / "classic"), steps=30, recipe="classic")
    train(classic)
    old_grid = np.asarray(Image.open(tmp_path / "classic" / "images" / "final.png"), dtype=np.float32)
    assert old_grid[2:34, 2:34].std() < grid[2:34, 2:34].std()


def _tile_stds(path: Path, side: int = 32, padding: int = 2) -> np.ndarray:
    """The pixel standard deviation of each tile of a sample grid."""
    from PIL import Image

    grid = np.asarray(Image.open(path), dtype=np.float32)
    step = side + padding
    corners = [(padding + r * step, padding + c * step) for r in range(grid.shape[0] // step)
               for c in range(grid.shape[1] // step)]  # fmt: skip
    return np.array([grid[top : top + side, left : left + side].std() for top, left in corners])


def _drawn_std(generator, latents: np.ndarray) -> float:
    """Mean per-image pixel std of what ``generator`` draws, batch norm on the batch's own statistics."""
    import keras

    from artgen import images as image_io

    drawn = image_io.to_uint8(keras.ops.convert_to_numpy(generator(latents, training=True)))
    return float(drawn.astype(np.float32).std(axis=(1, 2, 3)).mean())


@pytest.mark.slow
def test_a_trial_run_grid_shows_what_its_generator_draws(tmp_path: Path, shapes_dir: Path) -> None:
    """A 60-step grid is as contrasted as the raw generator's own images: the EMA copy and its
    re-measured batch-norm statistics flatten nothing. What is flat is the generator: 60 Adam steps
    of 2e-4 barely move weights initialised at N(0, 0.02), so it still draws what it drew untrained.
    A few hundred steps lift the grid well above that, towards the data's own contrast."""
    from artgen import images as image_io
    from artgen.dcgan.feed import STREAM_FIXED, rng_for
    from artgen.dcgan.models import build_generator

    data = image_io.load_folder(shapes_dir, 32).images.astype(np.float32)
    data_std = data.std(axis=(1, 2, 3)).mean()
    grids = {}
    for steps in (60, 300):
        run = tmp_path / f"run-{steps}"
        config = TrainConfig.tiny(
            str(shapes_dir),
            run_dir=str(run),
            steps=steps,
            samples=16,
            checkpoint_every=1000,
            sample_every=1000,
        )
        train(config)
        grids[steps] = _tile_stds(run / "images" / "final.png").mean()
    latents = rng_for(config.seed, STREAM_FIXED, 0).standard_normal((16, config.latent_dim), dtype=np.float32)
    raw = build_generator(32, config.latent_dim, config.width)
    raw.set_weights(checkpoint.load_group(checkpoint.latest(tmp_path / "run-60"), "generator"))
    assert grids[60] == pytest.approx(_drawn_std(raw, latents), rel=0.2)
    untrained = _drawn_std(build_generator(32, config.latent_dim, config.width, seed=config.seed), latents)
    assert grids[300] > 2 * untrained and grids[300] > data_std / 4


@pytest.mark.slow
def test_sample_grids_by_step_keep_the_newest_and_every_tenth(tmp_path: Path, shapes_dir: Path) -> None:
    config = TrainConfig.tiny(
        str(shapes_dir), run_dir=str(tmp_path / "run"), steps=26, sample_every=2, keep_samples=3,
        checkpoint_every=100,
    )  # fmt: skip
    train(config)
    names = sorted(p.name for p in (tmp_path / "run" / "images").iterdir())
    assert names == ["final.png", "step-00000020.png", "step-00000022.png", "step-00000024.png"]


@pytest.mark.slow
def test_resuming_a_finished_run_says_so(tmp_path: Path, shapes_dir: Path) -> None:
    config = TrainConfig.tiny(str(shapes_dir), run_dir=str(tmp_path / "run"), steps=2)
    train(config)
    before = (tmp_path / "run" / "generator.keras").stat().st_mtime_ns
    with pytest.raises(InputError, match=r"already finished \(2 of 2 steps\).*--steps 4"):
        train(config)
    assert (tmp_path / "run" / "generator.keras").stat().st_mtime_ns == before


@pytest.mark.slow
def test_which_picks_the_generator_and_says_which(
    tmp_path: Path, shapes_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _forced_fds(monkeypatch, [3.0, 4.0])
    train(TrainConfig.tiny(str(shapes_dir), run_dir=str(tmp_path / "run"), steps=4, eval_every=2))
    run = str(tmp_path / "run")
    for which, said in (("best", "generator-best.keras (best FD)"), ("latest", "step 4"), (None, "(final)")):
        out = tmp_path / f"{which}.png"
        args = ["sample", "--model", run, "-n", "2", str(out)] + (["--which", which] if which else [])
        assert main(args) == 0
        assert said in capsys.readouterr().err.replace("\n", "") and out.is_file()
    assert main(["sample", "--which", "best", str(tmp_path / "x.png")]) == 2
    assert "--which needs --model" in capsys.readouterr().err
    train(TrainConfig.tiny(str(shapes_dir), run_dir=str(tmp_path / "off"), steps=2, eval_every=0))
    assert main(["sample", "--model", str(tmp_path / "off"), "--which", "best", str(tmp_path / "y.png")]) == 2
    assert "trained with --eval-every 0" in capsys.readouterr().err.replace("\n", " ")


def _simulated(
    monkeypatch: pytest.MonkeyPatch, plan: EvalSchedule, step_s: float, eval_s: float
) -> list[int]:
    """The steps ``plan`` evaluates after, on a clock where steps take ``step_s``, evaluations ``eval_s``."""
    now = [0.0]
    monkeypatch.setattr(schedule, "clock", lambda: now[0])
    plan.since = 0.0
    steps = []
    for done in range(plan.last_step + 1, plan.total + 1):
        now[0] += step_s
        if plan.due(done):
            started = now[0]
            now[0] += eval_s
            plan.evaluated(done, started)
            steps.append(done)
    return steps


def test_auto_evaluations_cost_about_a_tenth_of_the_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # First a quarter in (by step 2000); then once the steps since took 10x the evaluation; never closer
    # together than the first came. The run's last step is the loop's final evaluation, not the schedule's.
    def simulated(plan: EvalSchedule, step_s: float, eval_s: float) -> list[int]:
        return _simulated(monkeypatch, plan, step_s, eval_s)

    assert simulated(EvalSchedule(None, 0, 10_000), 0.05, 9.99) == [2000, 4000, 6000, 8000]
    assert simulated(EvalSchedule(None, 0, 10_000), 0.01, 10.0) == [2000]  # evaluations cost 1,000 steps
    assert simulated(EvalSchedule(None, 0, 10_000), 0.001, 0.499) == [2000, 6990]
    assert simulated(EvalSchedule(None, 0, 1_500), 0.05, 10.0) == [375]  # a short CPU run
    assert simulated(EvalSchedule(None, 0, 1_500), 0.001, 0.01) == [375, 750, 1125]
    assert simulated(EvalSchedule(None, 0, 199), 0.0, 0.0) == []  # at the end only
    assert simulated(EvalSchedule(700, 0, 2_100), 1.0, 100.0) == [700, 1400]
    # A resumed run that knows its evaluations' cost spaces them from the resumed step on.
    assert simulated(EvalSchedule(None, 5_000, 10_000, seconds=9.9825), 0.05, 9.9825) == [6997, 8994]


@pytest.mark.slow
def test_every_run_ends_with_a_score_and_a_best_generator(
    tmp_path: Path, shapes_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = _forced_fds(monkeypatch, [4.0, 3.0, 2.0, 1.0, 0.5])
    events: list = []
    train(
        TrainConfig.tiny(str(shapes_dir), run_dir=str(tmp_path / "short"), steps=6, eval_every=None),
        events.append,
    )
    assert steps == [6]
    assert "measuring quality (FD/KID on VGG16 features) at the end" in [
        e.text for e in events if isinstance(e, Message)
    ]
    rows = np.genfromtxt(tmp_path / "short" / "metrics.csv", delimiter=",", names=True)
    assert rows["step"][-1] == 6 and rows["fd"][-1] == 4.0 and rows["kid"][-1] == 0.04
    assert (tmp_path / "short" / "generator-best.keras").is_file()
    monkeypatch.setattr(schedule, "clock", lambda: 0.0)  # evaluations that take no time: every quarter
    train(TrainConfig.tiny(str(shapes_dir), run_dir=str(tmp_path / "long"), steps=200, eval_every=None))
    assert steps == [6, 50, 100, 150, 200]


@pytest.mark.slow
def test_eval_every_writes_fd_rows_and_the_best_generator(tmp_path: Path, shapes_dir: Path) -> None:
    """The real watch end to end (VGG16 features of 8 samples): FD and KID land in metrics.csv."""
    config = TrainConfig.tiny(
        str(shapes_dir), run_dir=str(tmp_path / "run"), steps=4, eval_every=2, eval_samples=8
    )
    train(config)
    rows = np.genfromtxt(tmp_path / "run" / "metrics.csv", delimiter=",", names=True)
    fds = rows["fd"][~np.isnan(rows["fd"])]
    assert len(fds) == 2 and all(math.isfinite(fd) and fd > 0 for fd in fds)
    state = read_json(tmp_path / "run" / "quality.json")
    assert state["best_fd"] == pytest.approx(fds.min(), rel=1e-5)
    assert (tmp_path / "run" / "generator-best.keras").is_file()

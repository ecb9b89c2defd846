"""The 1-D GAN lab: it learns the real distribution, writes its run directory, and refuses bad input."""

from __future__ import annotations

import csv
import dataclasses
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artgen.errors import InputError, RunDirError
from artgen.events import Message, Metrics, Preview, Progress
from artgen.labs.toy_gan import ToyConfig, parse_mixture
from artgen.labs.toy_gan.data import sample_real, wasserstein1
from artgen.stored import read_json


def read_metrics(path: Path) -> list[dict[str, float]]:
    with open(path, newline="") as handle:
        return [{key: float(value) for key, value in row.items()} for row in csv.DictReader(handle)]


@pytest.mark.slow
def test_default_run_learns_mean_and_std_and_distance_falls(tmp_path: Path) -> None:
    from artgen.labs.toy_gan import train_toy

    config = ToyConfig(run_dir=str(tmp_path / "run"), plot_every=0)  # the default lab; plots do not change it
    result = train_toy(config)

    assert result.real_mean == 4.0 and result.real_std == 1.25
    assert abs(result.gen_mean - result.real_mean) <= 0.1 * abs(result.real_mean)
    assert abs(result.gen_std - result.real_std) <= 0.1 * result.real_std
    rows = read_metrics(result.metrics_path)
    assert [row["epoch"] for row in rows] == list(range(config.epochs + 1))
    assert math.isnan(rows[0]["d_loss"])  # epoch 0 is the untrained generator
    assert rows[-1]["distance"] < 0.25 * rows[0]["distance"]
    assert result.distance == pytest.approx(rows[-1]["distance"], rel=1e-4)
    assert Image.open(result.final_png).size == (640, 360)
    assert (result.run_dir / "curves.png").is_file()


@pytest.mark.slow
def test_two_peaked_mixture_learns_both_widths_with_its_defaults(tmp_path: Path) -> None:
    """Each peak at its real width, no longer a third of it with a bridge between (distance was 0.24)."""
    from artgen.labs.toy_gan import train_toy

    config = ToyConfig(mixture="-2:0.5,3:1", run_dir=str(tmp_path / "run"), plot_every=0)
    result = train_toy(config)

    assert len(result.gen_peaks) == len(result.real_peaks) == 2
    for (real_mean, real_std, real_share), (mean, std, share) in zip(
        result.real_peaks, result.gen_peaks, strict=True
    ):
        assert abs(mean - real_mean) < 0.1
        assert abs(std - real_std) <= 0.15 * real_std  # before: the narrow one 38% too narrow
        assert abs(share - real_share) < 0.05
    assert result.distance < 0.12


def test_peak_stats_measure_each_component() -> None:
    from artgen.labs.toy_gan.data import peak_stats

    components = parse_mixture("-2:0.5:1,3:1:3")
    values = sample_real(components, 40_000, np.random.default_rng(0))
    stats = peak_stats(values, components)
    assert [round(mean, 1) for mean, _, _ in stats] == [-2.0, 3.0]
    assert stats[0][1] == pytest.approx(0.5, rel=0.05) and stats[1][1] == pytest.approx(1.0, rel=0.05)
    assert [round(share, 2) for _, _, share in stats] == [0.25, 0.75]


@pytest.mark.slow
def test_tiny_run_streams_events_and_writes_gif(tmp_path: Path) -> None:
    from artgen.labs.toy_gan import train_toy

    events = []
    config = ToyConfig.tiny(run_dir=str(tmp_path / "run"), gif=True, mixture="\u22122:0.5,3:1")
    result = train_toy(config, events.append)

    previews = [event for event in events if isinstance(event, Preview)]
    assert [Path(p.path).name for p in previews[:-1]] == [f"epoch-{e:04d}.png" for e in range(4)]
    assert Path(previews[-1].path) == result.final_png
    assert all(Path(p.path).is_file() for p in previews)
    progress = [event for event in events if isinstance(event, Progress)]
    assert [p.step for p in progress] == [0, 1, 2, 3] and progress[-1].total == 3
    metrics = [event for event in events if isinstance(event, Metrics)]
    assert {"d_loss", "g_loss", "gen_mean", "gen_std", "distance"} <= set(metrics[-1].values)
    assert any(isinstance(event, Message) and "mixture" in event.text for event in events)

    with Image.open(result.gif_path) as gif:
        assert gif.n_frames == 4
    assert result.epochs == 3 and not result.stopped
    stored = read_json(result.run_dir / "config.json")
    assert stored["engine"] == "toy_gan" and ToyConfig.from_dict(stored) == config


@pytest.mark.slow
def test_should_stop_ends_the_run_early_with_its_files(tmp_path: Path) -> None:
    from artgen.labs.toy_gan import train_toy

    calls = iter(range(10_000))
    result = train_toy(
        ToyConfig.tiny(run_dir=str(tmp_path / "run"), epochs=50), should_stop=lambda: next(calls) >= 15
    )
    assert result.stopped and result.epochs == 1
    assert len(read_metrics(result.metrics_path)) == 2 and result.final_png.is_file()


def test_run_dir_with_files_is_never_reused(tmp_path: Path) -> None:
    from artgen.labs.toy_gan import train_toy

    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(RunDirError, match="not empty"):
        train_toy(ToyConfig.tiny(run_dir=str(tmp_path)))
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_mixture_parsing_normalises_weights_and_accepts_typographic_minus() -> None:
    assert parse_mixture("\u22122:0.5, 3:1") == [(-2.0, 0.5, 0.5), (3.0, 1.0, 0.5)]
    assert parse_mixture("0:1:3,6:0.5:1") == [(0.0, 1.0, 0.75), (6.0, 0.5, 0.25)]
    config = ToyConfig(mixture="-1:1,1:1")
    mean, std = config.real_moments()
    assert mean == pytest.approx(0.0) and std == pytest.approx(math.sqrt(2.0))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mixture": "1:2:3:4"}, "MEAN:STD"),
        ({"mixture": "0:-1"}, "positive std"),
        ({"mixture": ","}, "empty"),
        ({"std": 0.0}, "--std"),
        ({"epochs": 0}, "--epochs"),
        ({"bins": 2}, "--bins"),
        ({"gif": True, "plot_every": 0}, "--plot-every"),
        ({"learning_rate": -1.0}, "--learning-rate"),
        ({"pack": 0}, "--pack"),
        ({"batch_size": 255}, "multiple of --pack"),
    ],
)
def test_bad_config_is_one_clear_input_error(overrides: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        ToyConfig(**overrides)


def test_config_round_trips_and_describes_every_field() -> None:
    config = ToyConfig(mixture="-2:0.5,3:1", epochs=7, gif=True)
    assert ToyConfig.from_dict(config.to_dict()) == config
    assert all(field.metadata.get("help") for field in dataclasses.fields(ToyConfig))


def test_wasserstein_distance_sees_shift_and_spread() -> None:
    rng = np.random.default_rng(0)
    base = sample_real([(0.0, 1.0, 1.0)], 20_000, rng)
    assert wasserstein1(base, base) == 0.0
    assert wasserstein1(base, base + 2.0) == pytest.approx(2.0)
    assert wasserstein1(base, base * 2.0) == pytest.approx(math.sqrt(2 / math.pi), rel=0.05)


def test_cli_rejects_bad_mixture_in_one_line_without_loading_tensorflow() -> None:
    code = (
        "import sys\n"
        "from artgen.cli import main\n"
        "status = main(['toy', '--mixture', 'nonsense'])\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
        "sys.exit(status)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "artgen: error: --mixture component 'nonsense' is not MEAN:STD or MEAN:STD:WEIGHT, e.g. '3:1'"
    ]

"""The live progress line at any width, what --quiet and --verbose show, and progress from the
steps that used to be silent (a slow folder scan, eval's features, a stylised walk's frames)."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from rich.console import Console

from artgen.cli import common, main
from artgen.cli.common import EventRenderer
from artgen.cli.progress import Line, layout
from artgen.events import Message, Metrics, Progress, Ticker

TRAINING = Line(
    stage="epoch 1/20",
    step=1520,
    total=21000,
    elapsed=312.0,
    remaining=4012.0,
    rate="245.0 img/s",
    metrics=("d_loss 0.6931", "g_loss 0.7012", "d_real 0.5123", "d_fake 0.4877", "fd 131.2"),
)


@pytest.mark.parametrize("width", [40, 60, 80, 100, 120, 160, 200])
def test_count_percentage_and_time_left_are_never_cut_and_metrics_give_way_whole(width: int) -> None:
    text = layout(TRAINING, width).plain
    assert len(text) <= width
    assert "1520/21000" in text and "7%" in text and "eta 1:06:52" in text
    assert "…" not in text
    parts = text.split("  ")
    for metric in TRAINING.metrics:  # each metric whole or not there at all
        name = metric.split()[0]
        assert metric in parts or not any(part.startswith(name) for part in parts), text


def test_the_metrics_give_way_before_the_rate_and_the_bar() -> None:
    at_80, at_120 = layout(TRAINING, 80).plain, layout(TRAINING, 120).plain
    assert "245.0 img/s" in at_80 and "━" in at_80 and "d_loss" not in at_80
    assert "epoch 1/20" in at_80
    assert "d_loss 0.6931" in at_120 and "g_loss 0.7012" in at_120
    assert all(metric in layout(TRAINING, 250).plain for metric in TRAINING.metrics)


def test_a_screen_too_narrow_for_anything_else_cuts_only_the_stage() -> None:
    text = layout(TRAINING, 30).plain
    assert text.endswith("1520/21000  7%  eta 1:06:52") and len(text) <= 30


def test_the_live_line_is_laid_out_to_the_terminal(monkeypatch) -> None:
    screen = Console(file=io.StringIO(), width=80, force_terminal=True, color_system=None)
    monkeypatch.setattr(common, "console", screen)
    with EventRenderer(("d_loss", "g_loss"), live=True, width=80) as render:
        render(Metrics(1520, {"d_loss": 0.6931, "g_loss": 0.7012}))
        render(Progress(1520, 21000, "step", rate=245.0, rate_unit="img/s", stage="epoch 1/20"))
    drawn = [line for line in screen.file.getvalue().splitlines() if "1520/21000" in line]
    last = drawn[-1].split("\r")[-1]  # the line as last redrawn
    assert "epoch 1/20" in last and "1520/21000" in last and "7%" in last and "eta" in last
    assert "…" not in last


def test_a_ticker_is_silent_for_a_quick_step_and_speaks_for_a_slow_one(monkeypatch) -> None:
    events: list = []
    quick = Ticker(events.append, 10, "file", "reading the folder")
    for step in range(1, 11):
        quick(step)
    assert events == []
    monkeypatch.setattr(Ticker, "AFTER", 0.0)
    monkeypatch.setattr(Ticker, "EVERY", 0.0)
    slow = Ticker(events.append, 3, "file", "reading the folder")
    for step in range(1, 4):
        slow(step)
    assert [(e.step, e.total, e.stage) for e in events] == [(s, 3, "reading the folder") for s in (1, 2, 3)]


def test_reading_a_large_folder_shows_progress(tmp_path: Path, monkeypatch) -> None:
    from artgen import images

    for index in range(5):
        Image.new("RGB", (16, 16), (index, 0, 0)).save(tmp_path / f"{index}.png")
    monkeypatch.setattr(Ticker, "AFTER", 0.0)
    events: list = []
    images.load_folder(tmp_path, 16, on_event=events.append)
    stages = [e.stage for e in events if isinstance(e, Progress)]
    assert "reading the folder" in stages and "decoding images" in stages


# -- --quiet and --verbose ------------------------------------------------------------------------


def _fake_walk(monkeypatch) -> None:
    from types import SimpleNamespace

    def render_walk(config, on_event, should_stop):
        on_event(Message("loading the generator"))
        on_event(Message("compiling took 1.2 s", "detail"))
        on_event(Message("a damaged checkpoint was skipped", "warning"))
        on_event(Progress(120, 120, "frame", stage="walk"))
        return SimpleNamespace(
            out=Path(config.out), frames=120, stopped=False, flicker=None, seam_flicker=None
        )

    monkeypatch.setattr("artgen.walk.engine.render_walk", render_walk)


@pytest.mark.parametrize(
    ("flags", "shown", "hidden"),
    [
        ((), ["loading the generator", "warning: a damaged", "walk  120/120"], ["compiling took"]),
        (("-v",), ["loading the generator", "compiling took 1.2 s", "walk took"], []),
        (("--quiet",), [], ["loading", "compiling", "damaged", "120/120"]),
    ],
    ids=["default", "verbose", "quiet"],
)
@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_shows_results_only_and_verbose_every_message(
    flags, shown, hidden, where, tmp_path, monkeypatch, capsys
) -> None:
    _fake_walk(monkeypatch)
    out = tmp_path / "w.gif"
    argv = [*flags, "walk", str(out)] if where == "before" else ["walk", *flags, str(out)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.out == f"wrote {out} (120 frames at 24 fps)\n"  # the result, whatever the verbosity
    for text in shown:
        assert text in captured.err
    for text in hidden:
        assert text not in captured.err
    if "--quiet" in flags:
        assert captured.err == ""


def test_errors_still_show_when_quiet(tmp_path, capsys) -> None:
    assert main(["walk", "-q", "--model", str(tmp_path / "missing.keras"), str(tmp_path / "w.gif")]) == 2
    assert "error: model" in capsys.readouterr().err


def test_every_command_takes_quiet_and_verbose() -> None:
    from test_cli_parser import COMMANDS

    from artgen.cli.parser import actions

    for path, parser in COMMANDS.items():
        flags = {flag for action in actions(parser) for flag in action.option_strings}
        assert {"-q", "--quiet", "-v", "--verbose"} <= flags, path


# -- steps that were silent ------------------------------------------------------------------------


def test_eval_reports_its_features_as_it_goes(tmp_path: Path) -> None:
    from artgen.generators.evaluate import evaluate

    rng = np.random.default_rng(0)
    for folder in ("made", "real"):
        (tmp_path / folder).mkdir()
        for index in range(6):
            Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(
                tmp_path / folder / f"{index}.png"
            )
    events: list = []
    evaluate(tmp_path / "made", tmp_path / "real", count=6, on_event=events.append)
    features = [e for e in events if isinstance(e, Progress) and e.unit == "feature"]
    assert {e.stage for e in features} == {
        "VGG16 features of the real images",
        "VGG16 features of the scored images",
    }
    assert features[-1].step == features[-1].total == 6


@pytest.mark.slow
def test_a_training_run_shows_its_bar_before_the_first_step(tmp_path: Path, shapes_dir: Path) -> None:
    from artgen.dcgan import train
    from artgen.dcgan.config import TrainConfig

    events: list = []
    config = TrainConfig.tiny(str(shapes_dir), steps=2, run_dir=str(tmp_path / "run"), checkpoint_every=2)
    train(config, events.append)
    first = next(e for e in events if isinstance(e, Progress) and e.unit == "step")
    assert (first.step, first.stage) == (0, "building the train step")
    events.clear()
    resumed = dataclasses.replace(config, steps=4)  # the same run directory, longer: from step 2
    train(resumed, events.append)
    first = next(e for e in events if isinstance(e, Progress) and e.unit == "step")
    assert (first.step, first.total, first.stage) == (2, 4, "building the train step")


@pytest.mark.slow
def test_a_stylised_walk_counts_its_own_frames(tmp_path: Path) -> None:
    from artgen.walk.config import WalkConfig
    from artgen.walk.engine import render_walk

    painting = tmp_path / "paint.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(painting)
    events: list = []
    config = WalkConfig(
        out=str(tmp_path / "w.gif"),
        frames=6,
        keyframes=2,
        size=32,
        style=str(painting),
        style_iterations=1,
        frame_iterations=1,
    )
    render_walk(config, on_event=events.append)
    stages = [e.stage for e in events if isinstance(e, Progress) and e.unit == "iteration"]
    lap = [f"frame {n}/6" for n in range(1, 7)]
    closing = [f"closing the loop {n}/2" for n in range(1, 3)]  # 3 frames held back, the last one kept
    assert list(dict.fromkeys(stage.split(", ")[0] for stage in stages)) == lap + closing
    walked = [e for e in events if isinstance(e, Progress) and e.unit == "frame"]
    assert walked[-1].step == 6 and all(e.step <= 6 for e in walked)
    assert all(e.rate < 100 for e in walked), [e.rate for e in walked]  # painting takes time per frame

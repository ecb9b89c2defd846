"""What the commands print, and where: results on stdout, progress and messages on stderr, whole
plain lines in order when not on a terminal, and one ``--overwrite`` flag that every command honours.

Engines are replaced by fakes that emit the events a real run would, so these tests check the
command layer alone, in milliseconds; the real engines' output is covered in their own tests.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from artgen import runs
from artgen.cli import build_parser, main
from artgen.cli.common import EventRenderer
from artgen.events import Message, Metrics, Progress
from artgen.style.seamless import Seam

LONG = "x" * 150  # longer than rich's 80-column default for a pipe


def _fake_engine(result, events=()):
    def engine(config, on_event=None, should_stop=None):
        for event in events:
            on_event(event)
        return result

    return engine


TRAINING = (
    Message(f"16 images from {LONG}"),
    Progress(0, 4, unit="step", stage="epoch 1/2"),
    Metrics(2, {"d_loss": 1.25, "g_loss": 0.75}),
    Progress(2, 4, unit="step", stage="epoch 1/2"),
    Metrics(4, {"d_loss": 1.0, "g_loss": 1.0}),
    Progress(4, 4, unit="step", stage="epoch 2/2"),
    Message(f"saved {LONG}/generator.keras"),
)


def _commands(tmp_path: Path) -> dict[str, tuple[list[str], str, object, list[str]]]:
    """Per command: argv, the engine attribute to fake, its result, and the lines stdout must hold."""
    run = tmp_path / LONG[:100] / "run"
    out = tmp_path / "out.png"
    classify = SimpleNamespace(
        run_dir=run,
        model_path=run / "model.keras",
        output_path=None,
        classes=("a", "b"),
        accuracy=1.0,
        val_accuracy=0.5,
        scores=(SimpleNamespace(name="a", precision=1.0, recall=1.0, f1=1.0, support=1),),
        confusion=((1, 0), (1, 0)),
        confusion_png=run / "confusion.png",
        curves_png=run / "curves.png",
        train_count=2,
        val_count=2,
        skipped=0,
        epochs=1,
        stop_reason="epochs",
        stopped=False,
        size=32,
        base="none",
        most_confused=(),
    )
    # the inputs are real files: every command looks at them before it loads its (faked) engine
    photo, paint = tmp_path / "photo.jpg", tmp_path / "paint.jpg"
    for path in (photo, paint, tmp_path / "data" / "a" / "1.png", tmp_path / "data" / "b" / "1.png"):
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (24, 24)).save(path)
    return {
        "train": (
            ["train", str(tmp_path / "data")],
            "artgen.dcgan.train",
            SimpleNamespace(
                run_dir=run, step=4, total_steps=4, generator_path=run / "generator.keras", stopped=False
            ),
            [f"run directory: {run}", f"generator: {run / 'generator.keras'}"],
        ),
        "style": (
            ["style", str(photo), str(paint)],
            "artgen.style.stylise",  # what artgen style calls
            SimpleNamespace(out=out, size=(32, 24), seconds=1.0, gif=None, seam=None, stopped=False),
            [f"wrote {out} (32x24, 1.0s)"],
        ),
        "texture": (
            ["texture", str(paint), "-o", str(out)],
            "artgen.style.texture.synthesise",
            SimpleNamespace(out=out, size=(32, 32), seconds=1.0, seam=Seam(9.0, 10.0, 0.5), stopped=False),
            [f"wrote {out} (32x32, 1s, {Seam(9.0, 10.0, 0.5).describe()})"],
        ),
        "walk": (
            ["walk", str(tmp_path / "w.gif")],
            "artgen.walk.engine.render_walk",
            SimpleNamespace(
                out=tmp_path / "w.gif", frames=120, stopped=False, flicker=None, seam_flicker=None
            ),
            [f"wrote {tmp_path / 'w.gif'} (120 frames at 24 fps)"],
        ),
        "toy": (
            ["toy"],
            "artgen.labs.toy_gan.train_toy",
            SimpleNamespace(
                real_mean=0.5,
                real_std=2.6,
                gen_mean=0.5,
                gen_std=2.6,
                distance=0.05,
                real_peaks=[(-2.0, 0.5, 0.5), (3.0, 1.0, 0.5)],
                gen_peaks=[(-2.0, 0.5, 0.5), (3.0, 1.0, 0.5)],
                run_dir=run,
                final_png=run / "final.png",
                gif_path=None,
                stopped=False,
            ),
            [
                f"run directory: {run}",
                f"plot: {run / 'final.png'}",
                "peak 1    mean  -2.0000  std   0.5000  (generated mean -2.0000, std 0.5000, share 0.50)",
            ],
        ),
        "classify": (
            ["classify", "train", str(tmp_path / "data")],
            "artgen.labs.classify.train_classifier",
            classify,
            [f"run directory: {run}", f"model: {run / 'model.keras'}"],
        ),
    }


@pytest.mark.parametrize("command", ["train", "style", "texture", "walk", "toy", "classify"])
def test_results_go_to_stdout_and_progress_to_stderr_whole_and_in_order(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, target, result, expected = _commands(tmp_path)[command]
    monkeypatch.setattr(
        EventRenderer, "PLAIN_SECONDS", 0.0
    )  # the fake engine logs faster than a person reads
    module, _, name = target.rpartition(".")
    monkeypatch.setattr(module + "." + name, _fake_engine(result, TRAINING), raising=False)
    assert main(argv) == 0
    captured = capsys.readouterr()
    out, err = captured.out.splitlines(), captured.err.splitlines()
    for line in expected:
        assert line in out  # whole, though longer than 80 columns
        assert not any(line in text for text in err)
    # stderr: plain lines in the order the engine sent them, none cut, one progress line per log interval
    assert err[0] == f"16 images from {LONG}"
    assert [line.split("  ")[1] for line in err if "/4" in line] == ["0/4", "2/4", "4/4"]
    assert err.index(next(line for line in err if "4/4" in line)) < err.index(f"saved {LONG}/generator.keras")
    assert not any(line.endswith("…") for line in captured.out.splitlines() + err)


def test_plain_progress_without_metrics_is_a_line_per_tenth(monkeypatch, capsys) -> None:
    monkeypatch.setattr(EventRenderer, "PLAIN_SECONDS", 0.0)
    with EventRenderer(live=False) as render:
        for frame in range(0, 101):
            render(Progress(frame, 100, unit="frame", stage="walk"))
    lines = capsys.readouterr().err.splitlines()
    assert [line.split("  ")[:3] for line in lines] == [
        ["walk", f"{step}/100", f"{step}%"] for step in range(0, 101, 10)
    ]
    assert lines[0].endswith("eta -:--:--") and lines[-1].endswith("eta 0:00:00")  # unknown, then done


def test_plain_progress_is_at_most_a_line_a_second(capsys: pytest.CaptureFixture[str]) -> None:
    """An engine that measures every step (style transfer) does not flood a log."""
    with EventRenderer(live=False) as render:
        for step in range(0, 1001):
            render(Progress(step, 1000, unit="iteration", stage="style"))
            render(Metrics(step, {"total": 1.0 / (step + 1)}))
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("style  0/1000") and lines[-1].startswith("style  1000/1000")
    assert len(lines) < 10


@pytest.mark.slow
def test_ctrl_c_prints_the_resume_hint_once(
    tmp_path: Path,
    shapes_dir: Path,
    tiny_model: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import artgen.cli.engine as engine_cli

    class CtrlCAfterTwoSteps(engine_cli.StopRequest):
        calls = 0

        def __call__(self) -> bool:
            CtrlCAfterTwoSteps.calls += 1
            return CtrlCAfterTwoSteps.calls > 2

    monkeypatch.setattr(engine_cli, "StopRequest", CtrlCAfterTwoSteps)
    run_dir = tmp_path / "run"
    argv = ["train", str(shapes_dir), *tiny_model, "--steps", "50", "--run-dir", str(run_dir)]
    assert main(argv) == 130
    captured = capsys.readouterr()
    assert captured.err.count("artgen train --resume") == 1
    assert captured.out.splitlines() == [f"run directory: {run_dir}"]


# -- one overwrite flag --------------------------------------------------------------------------------


def _subparser(name: str, *more: str) -> argparse.ArgumentParser:
    parser = build_parser()
    for word in (name, *more):
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[word]
    return parser


@pytest.mark.parametrize("command", [("sample",), ("walk",), ("style",), ("classify", "train")])
def test_every_command_names_the_flag_overwrite(command: tuple[str, ...]) -> None:
    help_text = _subparser(*command).format_help()
    assert "--overwrite" in help_text and "--force" not in help_text


def test_sample_never_replaces_a_file_without_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "each"
    folder.mkdir()
    mine = folder / "0000-00001.png"
    mine.write_bytes(b"the user's own file")
    assert main(["sample", "-n", "2", "--separate", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("artgen: error:") and "--overwrite" in err
    assert mine.read_bytes() == b"the user's own file" and not (folder / "0000-00000.png").exists()

    grid = tmp_path / "grid.png"
    assert main(["sample", "-n", "2", "--separate", str(folder), "--overwrite", str(grid)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"wrote {grid} (2 images, 64 px)", f"wrote 2 images to {folder}/"]
    assert mine.read_bytes()[:4] == b"\x89PNG"
    assert not list(folder.glob(f"{runs.TMP_PREFIX}*"))  # written through a temporary, renamed into place

    before = grid.read_bytes()
    assert main(["sample", "-n", "1", "--seed", "3", str(grid)]) == 2
    assert "--overwrite" in capsys.readouterr().err and grid.read_bytes() == before
    assert main(["sample", "-n", "1", "--seed", "3", "--overwrite", str(grid)]) == 0
    assert grid.read_bytes() != before


def test_walk_refuses_an_existing_file_without_overwrite(tmp_path: Path, capsys) -> None:
    out = tmp_path / "w.gif"
    out.write_bytes(b"mine")
    assert main(["walk", "--frames", "2", str(out)]) == 2
    assert capsys.readouterr().err.strip() == f"artgen: error: {out} exists; pass --overwrite to replace it"
    assert out.read_bytes() == b"mine"


@pytest.mark.slow
def test_piped_command_output_is_whole_lines(tmp_path: Path) -> None:
    """The real thing, through a pipe: ``artgen toy ... | cat``."""
    runs_root = tmp_path / ("deep-" * 20)
    argv = ["toy", "--epochs", "2", "--steps-per-epoch", "5", "--batch-size", "32", "--hidden", "8"]
    argv += ["--eval-samples", "500", "--plot-every", "0", "--runs-root", str(runs_root)]
    done = subprocess.run(
        [sys.executable, "-m", "artgen", *argv], capture_output=True, text=True, timeout=300, check=True
    )
    out, err = done.stdout.splitlines(), done.stderr.splitlines()
    assert any(line.startswith(f"run directory: {runs_root}") for line in out)
    # whole lines in order, from the first step to the last; a run faster than a line a second
    # (PLAIN_SECONDS) may fold its middle epoch into the last line
    progress = [line.split("  ")[:2] for line in err if line.startswith("epoch ")]
    assert progress[0] == ["epoch 0/2", "0/2"] and progress[-1] == ["epoch 2/2", "2/2"]
    assert progress in (
        [["epoch 0/2", "0/2"], ["epoch 2/2", "2/2"]],
        [*progress[:1], ["epoch 1/2", "1/2"], *progress[-1:]],
    )
    assert not any("run directory" in line for line in err)
    assert not any(line.endswith("…") for line in out + err)

"""The train and sample commands as a user types them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artgen.cli import main
from artgen.generators import sampling


def test_every_help_answers_without_importing_tensorflow() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from artgen.cli import COMMANDS, main\n"
        "for argv in [[]] + [[name] for name in COMMANDS]:\n"
        "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "        main(argv + ['--help'])\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'jax') if m in sys.modules]\n"
        "print(len(COMMANDS), heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, heavy = out.stdout.strip().split(" ", 1)
    assert int(count) >= 2 and heavy == "[]"


@pytest.mark.slow
def test_ctrl_c_saves_a_checkpoint_and_exits_cleanly(
    tmp_path: Path, shapes_dir: Path, tiny_model: tuple[str, ...]
) -> None:
    run_dir = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "artgen",
        "train",
        str(shapes_dir),
        *tiny_model,
        "--steps",
        "100000",
        "--log-every",
        "1",
        "--sample-every",  # the first grid is the sign that training is under way
        "2",
        "--run-dir",
        str(run_dir),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (run_dir / "metrics.csv").exists() and not (run_dir / "images").exists():
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
            time.sleep(0.2)
        time.sleep(1.0)  # some steps into the run
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "artgen train --resume" in err and "Traceback" not in err
    checkpoints = list((run_dir / "checkpoints").glob("step-*.npz"))
    assert len(checkpoints) == 1
    assert sampling.sample(run_dir, count=2).shape == (2, 32, 32, 3)


def test_bad_option_exits_2_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "somewhere", "--size", "48"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        "artgen train: error: --size: 48 is not one of 32, 64, 128; see artgen train --help\n"
    )


def test_device_gpu_without_a_gpu_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from artgen.jobs import devices

    monkeypatch.setattr(devices, "probe_devices", lambda: devices.DeviceInfo())
    assert main(["--device", "gpu", "sample", str(tmp_path / "out.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert "no GPU was found" in err and "--device cpu" in err and "\n" not in err
    assert not (tmp_path / "out.png").exists()


def test_device_cpu_hides_the_gpus_from_both_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    from artgen.jobs.devices import use_device

    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    use_device("cpu")
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "-1"


def test_empty_folder_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("artgen: error:") and "has no images" in err and "\n" not in err


@pytest.mark.slow
def test_train_then_sample_then_refuse_to_overwrite(
    tmp_path: Path, shapes_dir: Path, tiny_model: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "run"
    argv = [
        "train",
        str(shapes_dir),
        *tiny_model,
        "--steps",
        "3",
        "--run-dir",
        str(run_dir),
    ]
    assert main(argv) == 0
    assert (run_dir / "generator.keras").is_file()
    out = tmp_path / "grid.png"
    assert (
        main(["sample", "--model", str(run_dir), "-n", "4", "--separate", str(tmp_path / "each"), str(out)])
        == 0
    )
    assert Image.open(out).size[0] > 2 * 32  # a 2x2 grid of 32 px images
    assert len(list((tmp_path / "each").glob("*.png"))) == 4
    before = out.read_bytes()
    assert main(["sample", "--model", str(run_dir), str(out)]) == 2
    assert "exists" in capsys.readouterr().err and out.read_bytes() == before

    # resuming may extend the run but not change the model
    assert main(["train", "--resume", str(run_dir), "--size", "64"]) == 2
    assert "cannot change when resuming" in capsys.readouterr().err
    assert main(["train", "--resume", str(run_dir), "--steps", "5"]) == 0
    assert np.loadtxt(run_dir / "metrics.csv", delimiter=",", skiprows=1)[-1, 0] == 5


def test_sample_refuses_files_that_are_not_models(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = tmp_path / "g.keras"
    fake.write_text("not a zip")
    assert main(["sample", "--model", str(fake), str(tmp_path / "o.png")]) == 2
    assert "cannot load model" in capsys.readouterr().err
    assert not (tmp_path / "o.png").exists()
    assert main(["sample", "--model", str(tmp_path / "missing"), str(tmp_path / "o.png")]) == 2


def test_the_sample_job_and_the_cli_draw_the_same_grid(tmp_path: Path) -> None:
    """One sampling path: the studio's sample job and ``artgen sample`` write the same pixels."""
    from artgen.errors import InputError
    from artgen.jobs.sample_job import SampleConfig, sample_grid

    job_grid, cli_grid = tmp_path / "job.png", tmp_path / "cli.png"
    written = sample_grid(SampleConfig(out=str(job_grid), count=4, seed=3, columns=2))
    assert written.out == job_grid and written.count == 4
    assert main(["sample", "-n", "4", "--seed", "3", "--columns", "2", str(cli_grid)]) == 0
    assert np.array_equal(np.asarray(Image.open(job_grid)), np.asarray(Image.open(cli_grid)))
    with pytest.raises(InputError, match="tick 'overwrite'"):
        sample_grid(SampleConfig(out=str(job_grid), count=4))

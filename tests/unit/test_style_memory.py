"""Knowing before running: the estimate matches the measured peak; a size that cannot fit is refused."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artgen.cli import main
from artgen.style import memory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def pair(tmp_path) -> tuple[str, str]:
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)).save(tmp_path / "photo.png")
    Image.fromarray(rng.integers(0, 255, (200, 200, 3), dtype=np.uint8)).save(tmp_path / "paint.png")
    return str(tmp_path / "photo.png"), str(tmp_path / "paint.png")


def test_activation_count_follows_the_layers_shapes():
    # VGG16 up to block5_conv1 on 32x32: 2 convs of 64 channels at 32x32, a pool, and so on.
    expected = 2 * 64 * 32 * 32 + 64 * 16 * 16 + 2 * 128 * 16 * 16 + 128 * 8 * 8
    expected += 3 * 256 * 8 * 8 + 256 * 4 * 4 + 3 * 512 * 4 * 4 + 512 * 2 * 2 + 512 * 2 * 2
    assert memory.activation_elements(32, 32, "vgg16") == expected


@pytest.mark.slow
@pytest.mark.parametrize("tiling", [(), ("--tile", "on", "--tile-size", "256")], ids=["untiled", "tiled"])
def test_estimate_is_within_a_quarter_of_the_measured_peak(pair, tmp_path, tiling):
    """A fresh process, as a user runs it: the printed estimate against the kernel's peak resident size.

    The child reads its own high-water mark (VmHWM): its ``ru_maxrss`` would
    report this test session's size whenever that is larger, as it was at the
    end of a full run (2.35 GB against a real peak of 1.8).
    """
    out = tmp_path / "out.png"
    run_and_report_peak = (
        "import sys\n"
        "from artgen.cli import main\n"
        "from artgen.style.memory import peak_bytes\n"
        "status = main(sys.argv[1:])\n"
        "print('PEAK', peak_bytes())\n"
        "sys.exit(status)\n"
    )
    command = [sys.executable, "-c", run_and_report_peak, "style", *pair, "-o", str(out), "--size", "512"]
    command += ["--scales", "1", "--iterations", "2", *tiling]
    # A user's environment, not the one earlier tests left behind (in-process CLI calls set variables
    # such as KERAS_BACKEND and CUDA_VISIBLE_DEVICES for their own process's libraries).
    kept = ("PATH", "HOME", "TMPDIR")
    env = {name: os.environ[name] for name in kept if name in os.environ} | {"PYTHONPATH": str(ROOT)}
    env |= {"ARTGEN_CACHE_DIR": str(tmp_path / "cache"), "ARTGEN_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    peak = int(re.search(r"PEAK (\d+)", result.stdout).group(1))
    found = re.search(r"estimated peak memory ([\d.]+) GB \(([^)]*)\)", result.stdout + result.stderr)
    assert found, result.stdout + result.stderr
    assert found.group(2) == ("in 256 px tiles" if tiling else "untiled")
    estimate = float(found.group(1)) * 1e9
    assert abs(estimate - peak) <= 0.25 * peak, (estimate, peak)


def test_a_childs_peak_is_its_own_not_its_parents():
    """Why the test above reads VmHWM: a small child of a large parent reports the parent's ru_maxrss."""
    ballast = np.ones(300_000_000 // 8)  # 300 MB resident in this process
    probe = (
        "import resource\n"
        "from artgen.style.memory import peak_bytes\n"
        "print(peak_bytes(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\n"
    )
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    own, inherited = map(
        int,
        subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
        ).stdout.split(),
    )
    assert ballast.sum() > 0 and own < 200e6 < 300e6 <= inherited


@pytest.mark.slow
def test_a_size_that_cannot_fit_is_refused_with_advice_and_nothing_written(pair, tmp_path, capsys):
    out = tmp_path / "big.png"
    before = sorted(tmp_path.iterdir())
    assert main(["style", *pair, "-o", str(out), "--size", "8192", "--no-tile"]) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert re.fullmatch(
        r"artgen: error: a 8192 px picture needs about .* GB .*; use --size \d+, or --tile", line
    )
    assert main(["style", *pair, "-o", str(out), "--size", "8192", "--tile-size", "256"]) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "use --size" in line and "--tile" not in line.split(";")[-1]
    assert sorted(tmp_path.iterdir()) == before


def test_auto_tiling_starts_where_the_whole_picture_would_take_too_much():
    sizes = [(2048, 2048)]
    untiled = memory.estimate(sizes, "vgg16", "lbfgs", "tensorflow", base=10**9, available=20 * 10**9)
    tiled = memory.estimate(sizes, "vgg16", "lbfgs", "tensorflow", 512, 80, base=10**9, available=20 * 10**9)
    assert untiled.fits and not untiled.fits_share()  # would fit, but takes over half of a shared machine
    assert tiled.peak < untiled.peak / 2


def test_the_plan_refuses_nothing_that_fits(pair, monkeypatch):
    """Untiled when there is room; tiles, then a shorter L-BFGS history, before ever refusing."""
    import keras

    from artgen.errors import InputError
    from artgen.style import StyleConfig
    from artgen.style.pictures import fit_size, load_image

    config = StyleConfig(pair[0], (pair[1],), size=4096)
    content = load_image(pair[0], config.size)
    sizes = [fit_size(*content.size, side) for side in config.scale_sizes()]
    base = 10**9

    def peak(core: int, history: int) -> int:
        estimate = memory.estimate(
            sizes, "vgg16", "lbfgs", keras.backend.backend(), core, 80, base, 0, "CPU", history
        )
        return estimate.peak - base

    def plan(available: int):
        monkeypatch.setattr(memory, "device_memory", lambda: ("CPU", base, available))
        return memory.plan(config, content.size)[:2]

    assert plan(4 * peak(0, 10)) == (0, 10)
    assert plan(peak(0, 10) + 1)[1] == 10  # fits untiled, but not in the CPU's share: tiles, full history
    smallest = min(memory.TILE_CORES)
    assert plan(peak(smallest, 3) + 1) == (smallest, 3)  # only the last option fits: taken, not refused
    with pytest.raises(InputError, match="use --size"):
        plan(peak(smallest, 3) - 1)

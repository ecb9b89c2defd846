"""benchmarks/gpu_suite.py --tiny: every row of the accelerator suite runs, on JAX, and reaches the table.

The suite is meant for a GPU machine no test here has; its toy sizes keep each
row's code path working so that the GPU run does not fail half way.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "benchmarks" / "gpu_suite.py"


def _rows() -> tuple[str, ...]:
    spec = importlib.util.spec_from_file_location("gpu_suite", SUITE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)  # stdlib imports only: Keras is imported in main()
    return module.ROWS


@pytest.mark.slow  # a fresh JAX interpreter compiling VGG16 and a DCGAN: tens of CPU seconds
def test_tiny_suite_writes_every_row(tmp_path):
    out = tmp_path / "table.md"
    result = subprocess.run(
        [sys.executable, str(SUITE), "--tiny", "--out", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(ROOT)},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = out.read_text().splitlines()
    assert "on jax" in lines[0]
    rows = [line.split(" | ")[0].removeprefix("| ") for line in lines if line.startswith("| ")][2:]
    assert rows == list(_rows())
    for line in lines:
        if line.startswith("| ") and "peak device memory" in line:
            figure = line.split(" | ")[2]
            assert figure == "n/a" or figure.endswith(" GiB")

"""DCGAN on the second Keras backend (JAX) and under tf.distribute.

Both need a fresh interpreter: the Keras backend and TensorFlow's logical
devices are fixed once a process has set them up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RUN_TWICE = """
import json, sys
import numpy as np
from artgen.dcgan import TrainConfig, train
data, out, extra = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
common = dict(steps=6, checkpoint_every=3, augment=("translation", "color"), **extra)
straight = train(TrainConfig.tiny(data, run_dir=out + "/a", **common))
config = TrainConfig.tiny(data, run_dir=out + "/b", **common)
calls = iter(range(100))
assert train(config, should_stop=lambda: next(calls) >= 3).stopped
train(config)
import keras
print(json.dumps({"backend": keras.backend.backend()}))
"""


def _run(script: str, *args: str, env: dict[str, str] | None = None) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _losses(run_dir: Path):
    import numpy as np

    return np.loadtxt(run_dir / "metrics.csv", delimiter=",", skiprows=1)[:, 1:5]


def test_jax_backend_trains_and_resumes_exactly(tmp_path: Path, shapes_dir: Path) -> None:
    pytest.importorskip("jax")
    info = _run(RUN_TWICE, str(shapes_dir), str(tmp_path), "{}", env={"KERAS_BACKEND": "jax"})
    assert info["backend"] == "jax"
    import numpy as np

    np.testing.assert_allclose(_losses(tmp_path / "b"), _losses(tmp_path / "a"), rtol=1e-5)
    assert (tmp_path / "a" / "generator.keras").is_file()


def test_mirrored_on_two_cpu_devices_resumes_and_tracks_single_device(
    tmp_path: Path, shapes_dir: Path
) -> None:
    # Mirrored runs first: TensorFlow's CPU can only be split before it is first used.
    script = RUN_TWICE + (
        "from artgen.dcgan import TrainConfig, train\n"
        "train(TrainConfig.tiny(data, run_dir=out + '/single', steps=6, augment=('translation', 'color')))\n"
    )
    _run(
        script,
        str(shapes_dir),
        str(tmp_path),
        json.dumps({"devices": 2}),
        env={"KERAS_BACKEND": "tensorflow"},
    )
    import numpy as np

    mirrored, resumed, single = (_losses(tmp_path / name) for name in ("a", "b", "single"))
    np.testing.assert_allclose(resumed, mirrored, rtol=1e-5)
    # Same global batch; only batch-norm statistics differ (per replica vs whole batch).
    np.testing.assert_allclose(mirrored, single, atol=0.05)
    config = json.loads((tmp_path / "a" / "config.json").read_text())
    assert config["devices"] == 2


def test_style_transfer_runs_on_jax(tmp_path: Path) -> None:
    pytest.importorskip("jax")
    assets = Path(__file__).resolve().parents[2] / "assets"
    script = (
        "import json, sys\n"
        "from artgen.style import StyleConfig, transfer\n"
        "config = StyleConfig.tiny(sys.argv[1], (sys.argv[2],), out=sys.argv[3])\n"
        "result = transfer(config)\n"
        "import keras\n"
        "print(json.dumps({'backend': keras.backend.backend(), 'total': result.losses['total']}))\n"
    )
    out = tmp_path / "styled.png"
    info = _run(
        script,
        str(assets / "samples" / "chelsea.jpg"),
        str(assets / "styles" / "starry_night.jpg"),
        str(out),
        env={"KERAS_BACKEND": "jax"},
    )
    assert info["backend"] == "jax" and info["total"] > 0
    assert out.is_file()

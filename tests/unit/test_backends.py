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

pytestmark = pytest.mark.slow  # real signals, several devices or a cluster: CI runs them


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


def test_jax_data_parallel_on_two_cpu_devices_resumes_and_tracks_single_device(
    tmp_path: Path, shapes_dir: Path
) -> None:
    """keras.distribution.DataParallel over two XLA host devices: trains, checkpoints, resumes exactly,
    and tracks a one-device run (global batch-norm statistics: equal up to the order of sums)."""
    pytest.importorskip("jax")
    script = RUN_TWICE + (
        "import jax\n"
        "assert len(jax.devices()) == 2, jax.devices()\n"
        "train(TrainConfig.tiny(data, run_dir=out + '/single', steps=6, augment=('translation', 'color')))\n"
        "from artgen.dcgan.placement import placement\n"
        "print(json.dumps({'replicas': placement(TrainConfig.tiny(data, devices=2)).replicas}))\n"
    )
    info = _run(
        script,
        str(shapes_dir),
        str(tmp_path),
        json.dumps({"devices": 2}),
        env={"KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2"},
    )
    assert info["replicas"] == 2
    import numpy as np

    parallel, resumed, single = (_losses(tmp_path / name) for name in ("a", "b", "single"))
    np.testing.assert_allclose(resumed, parallel, rtol=1e-5)
    np.testing.assert_allclose(parallel, single, atol=1e-3)
    assert json.loads((tmp_path / "a" / "config.json").read_text())["devices"] == 2
    assert (tmp_path / "a" / "generator.keras").is_file()


def test_jax_asks_for_more_devices_than_there_are_in_one_line(tmp_path: Path, shapes_dir: Path) -> None:
    pytest.importorskip("jax")
    command = [sys.executable, "-m", "artgen", "--backend", "jax", "train", str(shapes_dir), "--devices", "3"]
    command += ["--steps", "2", "--run-dir", str(tmp_path / "run")]
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("artgen: error: --devices 3 asks for more than the 2 CPU device(s) JAX sees")


def test_style_transfer_runs_on_jax(tmp_path: Path) -> None:
    pytest.importorskip("jax")
    assets = Path(__file__).resolve().parents[2] / "artgen" / "bundled"
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


def _free_ports(count: int) -> list[int]:
    import socket

    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def test_multi_worker_on_loopback_trains_with_one_writer(
    tmp_path: Path, shapes_dir: Path, tiny_model: tuple[str, ...]
) -> None:
    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    run_dir = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "artgen",
        "train",
        str(shapes_dir),
        *tiny_model,
        "--steps",
        "4",
        "--checkpoint-every",
        "2",
        "--log-every",
        "1",
        "--strategy",
        "multi-worker",
        "--run-dir",
        str(run_dir),
    ]
    workers = [
        subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={
                **os.environ,
                "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}),
            },
        )
        for i in range(2)
    ]
    outputs = [worker.communicate(timeout=300) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert "chief (worker 0) wrote" in outputs[1][1]
    assert (run_dir / "generator.keras").is_file()
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [
        "step-00000002.npz",
        "step-00000004.npz",
    ]
    assert _losses(run_dir).shape == (4, 4)

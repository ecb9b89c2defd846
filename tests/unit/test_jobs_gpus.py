"""Every local GPU: one job per GPU side by side, each child seeing only its own, on a fake device list."""

from __future__ import annotations

import sys
import time
import types

import pytest
from demo_engine import DEMO_KIND

from artgen.errors import InputError
from artgen.jobs import HistoryStore, Runner, kinds
from artgen.jobs.devices import DeviceInfo, Gpu, parse_device, probe_devices

pytestmark = pytest.mark.usefixtures("demo_kind")

# GPU 1 has more free memory than GPU 0 (another program holds 6 GiB of GPU 0).
TWO_GPUS = DeviceInfo(
    (
        Gpu("Fake A", 16_384, index=0, uuid="GPU-aaaa", used_mb=6_144, utilization=40),
        Gpu("Fake B", 16_384, index=1, uuid="GPU-bbbb", used_mb=512, utilization=0),
    )
)


@pytest.fixture
def gpu_runner(tmp_path, monkeypatch):
    monkeypatch.setenv("ARTGEN_DEMO_REPORT_DEVICES", "1")
    kinds.register(DEMO_KIND.__class__(**{**DEMO_KIND.__dict__, "name": "gpu-demo", "uses_gpu": True}))
    runner = Runner(HistoryStore(tmp_path / "jobs.sqlite"), probe=lambda: TWO_GPUS, stop_timeout=5)
    yield runner
    runner.shutdown(timeout=2)
    kinds.unregister("gpu-demo")


def _wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _seen(runner, job_id):
    """What the job's child saw as CUDA_VISIBLE_DEVICES (the demo engine logs it)."""
    lines = [text for _, text in runner.log(job_id) if text.startswith("CUDA_VISIBLE_DEVICES=")]
    return lines[0].partition("=")[2] if lines else None


@pytest.mark.slow
def test_two_gpu_jobs_run_side_by_side_and_a_third_waits_for_a_freed_gpu(gpu_runner, tmp_path):
    long = {"steps": 5000, "delay": 0.01}
    first = gpu_runner.submit("gpu-demo", {"run_dir": str(tmp_path / "a"), **long})
    _wait_for(lambda: _seen(gpu_runner, first.id))
    second = gpu_runner.submit("gpu-demo", {"run_dir": str(tmp_path / "b"), **long})
    third = gpu_runner.submit("gpu-demo", {"run_dir": str(tmp_path / "c"), "steps": 3, "delay": 0.0})
    _wait_for(lambda: _seen(gpu_runner, second.id))

    # The most free memory first, then the other GPU; each child sees only its own.
    assert gpu_runner.get(first.id).placement == "gpu:1" and _seen(gpu_runner, first.id) == "GPU-bbbb"
    assert gpu_runner.get(second.id).placement == "gpu:0" and _seen(gpu_runner, second.id) == "GPU-aaaa"
    assert gpu_runner.get(first.id).state == gpu_runner.get(second.id).state == "running"
    assert gpu_runner.gpu_jobs() == {1: first.id, 0: second.id}
    time.sleep(0.3)
    assert gpu_runner.get(third.id).state == "queued"  # every GPU is busy

    gpu_runner.cancel(second.id)
    assert gpu_runner.wait(third.id, timeout=30).state == "done"
    assert gpu_runner.get(third.id).placement == "gpu:0"  # the freed GPU
    assert _seen(gpu_runner, third.id) == "GPU-aaaa"
    assert gpu_runner.get(first.id).state == "running"  # never interrupted
    assert any("running on GPU 0 Fake A" in text for _, text in gpu_runner.log(third.id))
    gpu_runner.cancel(first.id)


def test_gpu_n_pins_the_job_to_that_gpu_and_waits_for_it(gpu_runner, tmp_path):
    long = {"steps": 5000, "delay": 0.01}
    holder = gpu_runner.submit("gpu-demo", {"run_dir": str(tmp_path / "a"), **long}, device="gpu:0")
    pinned = gpu_runner.submit("gpu-demo", {"run_dir": str(tmp_path / "b"), "steps": 2}, device="gpu:0")
    other = gpu_runner.submit("gpu-demo", {"run_dir": str(tmp_path / "c"), "steps": 2, "delay": 0.0})
    # GPU 1 is free, but the pinned job waits for GPU 0; the unpinned one behind it goes ahead.
    assert gpu_runner.wait(other.id, timeout=30).state == "done"
    assert gpu_runner.get(other.id).placement == "gpu:1"
    assert gpu_runner.get(holder.id).placement == "gpu:0"
    assert gpu_runner.get(pinned.id).state == "queued"
    gpu_runner.cancel(holder.id)
    assert gpu_runner.wait(pinned.id, timeout=30).state == "done"
    assert gpu_runner.get(pinned.id).placement == "gpu:0" and _seen(gpu_runner, pinned.id) == "GPU-aaaa"


def test_cpu_jobs_hide_every_gpu_and_do_not_take_one(gpu_runner, tmp_path):
    job = gpu_runner.submit("gpu-demo", {"run_dir": str(tmp_path / "a"), "steps": 2}, device="cpu")
    assert gpu_runner.wait(job.id, timeout=30).state == "done"
    assert gpu_runner.get(job.id).placement == "cpu" and _seen(gpu_runner, job.id) == "-1"


def test_device_names_are_checked_at_submit(gpu_runner, tmp_path):
    config = {"run_dir": str(tmp_path / "a")}
    with pytest.raises(InputError, match="there is no GPU 5"):
        gpu_runner.submit("gpu-demo", config, device="gpu:5")
    with pytest.raises(InputError, match="auto, cpu, gpu or gpu:N"):
        gpu_runner.submit("gpu-demo", config, device="cuda:0")
    assert parse_device("gpu:12") == 12 and parse_device("auto") is None


class _FakeNvml(types.ModuleType):
    """The few calls of ``pynvml`` the probe makes, answering for two GPUs (or for no driver)."""

    class NVMLError(Exception):
        pass

    def __init__(self, driver: bool = True) -> None:
        super().__init__("pynvml")
        self.driver = driver

    def nvmlInit(self):
        if not self.driver:
            raise self.NVMLError("NVML Shared Library Not Found")

    def nvmlShutdown(self):
        pass

    def nvmlDeviceGetCount(self):
        return 2

    def nvmlDeviceGetHandleByIndex(self, index):
        return index

    def nvmlDeviceGetName(self, handle):
        return [b"NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3"][handle]  # old bindings: bytes

    def nvmlDeviceGetUUID(self, handle):
        return f"GPU-{handle}"

    def nvmlDeviceGetMemoryInfo(self, handle):
        return types.SimpleNamespace(total=80 * 2**30, used=(handle * 10 + 1) * 2**30)

    def nvmlDeviceGetUtilizationRates(self, handle):
        if handle == 1:
            raise self.NVMLError("Not Supported")
        return types.SimpleNamespace(gpu=37)


def test_device_facts_come_from_nvml(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", _FakeNvml())
    gpus = probe_devices().gpus
    assert [(gpu.index, gpu.name, gpu.uuid) for gpu in gpus] == [
        (0, "NVIDIA H100 80GB HBM3", "GPU-0"),
        (1, "NVIDIA H100 80GB HBM3", "GPU-1"),
    ]
    assert [(gpu.memory_mb, gpu.used_mb, gpu.utilization) for gpu in gpus] == [
        (81_920, 1_024, 37),
        (81_920, 11_264, None),
    ]
    assert gpus[0].describe() == "GPU 0 NVIDIA H100 80GB HBM3 (1.0/80 GiB, 37% busy)"


def test_no_nvidia_driver_means_no_gpus_not_an_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", _FakeNvml(driver=False))
    assert probe_devices() == DeviceInfo()
    monkeypatch.setitem(sys.modules, "pynvml", None)  # the binding not installed at all
    assert probe_devices() == DeviceInfo()


def test_a_history_from_before_placements_opens_and_keeps_its_jobs(tmp_path):
    import sqlite3

    path = tmp_path / "jobs.sqlite"
    old_schema = (
        "CREATE TABLE jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, config TEXT NOT NULL, "
        "device TEXT NOT NULL, state TEXT NOT NULL, created REAL NOT NULL, started REAL, finished REAL, "
        "step INTEGER NOT NULL, total INTEGER, stage TEXT NOT NULL, outputs TEXT NOT NULL, "
        "error TEXT, preview TEXT, resumable INTEGER NOT NULL)"
    )
    old_log = (
        "CREATE TABLE log (job_id TEXT NOT NULL, seq INTEGER PRIMARY KEY, level TEXT NOT NULL, "
        "text TEXT NOT NULL)"
    )
    with sqlite3.connect(path) as db:
        db.execute(old_schema)
        db.execute(old_log)
        db.execute(
            "INSERT INTO jobs VALUES ('old', 'demo', '{}', 'auto', 'done', 1.0, 1.0, 2.0, 3, 3, '', '{}', "
            "NULL, NULL, 0)"
        )
    store = HistoryStore(path)
    assert store.notice is None  # not taken for a damaged history
    assert store.get("old").state == "done" and store.get("old").placement is None
    store.save(store.get("old").replace(placement="gpu:1"))
    assert HistoryStore(path).get("old").placement == "gpu:1"


def test_artgen_jobs_shows_where_each_job_ran(tmp_path, monkeypatch, capsys):
    from artgen.cli import main

    monkeypatch.setenv("COLUMNS", "200")
    kinds.register(DEMO_KIND.__class__(**{**DEMO_KIND.__dict__, "name": "gpu-demo", "uses_gpu": True}))
    runner = Runner(HistoryStore(), probe=lambda: TWO_GPUS)  # the history `artgen jobs` reads
    try:
        job = runner.submit("gpu-demo", {"run_dir": str(tmp_path / "a"), "steps": 2}, device="gpu:0")
        assert runner.wait(job.id, timeout=30).state == "done"
    finally:
        runner.shutdown(timeout=2)
        kinds.unregister("gpu-demo")
    assert main(["jobs"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if job.id in line)
    assert "gpu:0" in row.split()
    assert main(["jobs", job.id]) == 0
    assert "ran on: gpu:0" in capsys.readouterr().out

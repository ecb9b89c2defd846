"""The job runner with the demo engine: states, event order, cancel, resume, failures, history."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from demo_engine import DEMO_KIND

from artgen.errors import InputError
from artgen.events import Preview, Progress
from artgen.jobs import HistoryStore, Runner, kinds
from artgen.jobs.devices import DeviceInfo, Gpu
from artgen.jobs.records import JobRecord

# Every job test may run the demo engine (a fake that trains in milliseconds).
pytestmark = pytest.mark.usefixtures("demo_kind")


def test_job_runs_to_done_with_events_in_order(runner, tmp_path, wait_for):
    updates = []
    runner.subscribe(updates.append)
    job = runner.submit("demo", {"run_dir": str(tmp_path / "run"), "steps": 10, "delay": 0.0})
    record = runner.wait(job.id, timeout=30)
    wait_for(lambda: updates[-1].record.state == "done")  # listeners hear of it just after

    assert record.state == "done" and record.error is None
    assert record.outputs == {"run_dir": str(tmp_path / "run")}
    assert record.step == record.total == 10
    assert record.preview.endswith("step-0010.png") and os.path.exists(record.preview)
    states = [update.record.state for update in updates if update.event is None]
    assert states == ["queued", "running", "done"]
    steps = [update.event.step for update in updates if isinstance(update.event, Progress)]
    assert steps == list(range(0, 11))
    previews = [update.event.path for update in updates if isinstance(update.event, Preview)]
    assert [os.path.basename(path) for path in previews] == ["step-0005.png", "step-0010.png"]
    assert [m.values["loss"] for m in runner.metrics(job.id)] == [1.0 / step for step in range(1, 11)]
    assert ("info", "demo finished") in runner.log(job.id)


def test_cancel_checkpoints_and_resume_continues(runner, tmp_path, wait_for):
    run_dir = tmp_path / "run"
    job = runner.submit("demo", {"run_dir": str(run_dir), "steps": 2000, "delay": 0.01})
    wait_for(lambda: runner.get(job.id).step >= 3)
    runner.cancel(job.id)
    record = runner.wait(job.id, timeout=10)

    assert record.state == "cancelled" and record.resumable
    assert (run_dir / "checkpoints" / "state.json").exists()
    stopped_at = record.outputs and runner.get(job.id).step
    resumed = runner.resume(job.id)
    wait_for(lambda: any("resuming from step" in text for _, text in runner.log(resumed.id)))
    runner.cancel(resumed.id)
    assert runner.wait(resumed.id, timeout=10).state == "cancelled"
    assert runner.get(resumed.id).step >= stopped_at


def test_cancel_a_queued_job_never_starts_it(runner, tmp_path):
    first = runner.submit("demo", {"run_dir": str(tmp_path / "a"), "steps": 2000, "delay": 0.01})
    second = runner.submit("demo", {"run_dir": str(tmp_path / "b"), "steps": 5})
    assert runner.get(second.id).state == "queued"  # one CPU slot: it waits its turn
    runner.cancel(second.id)
    runner.cancel(first.id)
    assert runner.wait(second.id, timeout=10).state == "cancelled"
    assert runner.get(second.id).started is None
    assert not (tmp_path / "b").exists()


def test_engine_error_fails_the_job_with_its_message(runner, tmp_path):
    job = runner.submit("demo", {"run_dir": str(tmp_path / "run"), "steps": 10, "fail_at": 3, "delay": 0.0})
    record = runner.wait(job.id, timeout=30)
    assert record.state == "failed"
    assert record.error == "demo failure at step 3"


def test_killed_child_fails_the_job(runner, tmp_path, wait_for):
    job = runner.submit("demo", {"run_dir": str(tmp_path / "run"), "steps": 5000, "delay": 0.01})
    wait_for(lambda: runner.get(job.id).step >= 1)
    os.kill(runner.pid(job.id), signal.SIGKILL)
    record = runner.wait(job.id, timeout=10)
    assert record.state == "failed"
    assert record.error == "the job's process was killed (signal 9)"


@pytest.mark.slow
def test_stuck_job_is_killed_after_the_stop_timeout(tmp_path, wait_for):
    runner = Runner(HistoryStore(tmp_path / "jobs.sqlite"), stop_timeout=0.5)
    try:
        # one 30 s step: the engine cannot notice the stop request in time
        job = runner.submit("demo", {"run_dir": str(tmp_path / "run"), "steps": 2, "delay": 30})
        wait_for(lambda: runner.get(job.id).total == 2)  # its first progress event: now in the long step
        time.sleep(0.3)
        started = time.monotonic()
        runner.cancel(job.id)
        record = runner.wait(job.id, timeout=10)
        assert time.monotonic() - started < 5
        assert record.state == "cancelled" and "force" in record.error
    finally:
        runner.shutdown(timeout=1)


def test_history_survives_a_restart(tmp_path):
    store_path = tmp_path / "jobs.sqlite"
    first = Runner(HistoryStore(store_path))
    job = first.submit("demo", {"run_dir": str(tmp_path / "run"), "steps": 3, "delay": 0.0})
    first.wait(job.id, timeout=30)
    first.shutdown()
    # a job the last app left running (it was killed) comes back as interrupted, not running forever
    orphan = JobRecord("20000101-000000-dead", "demo", {"run_dir": str(tmp_path / "gone")}, state="running")
    HistoryStore(store_path).save(orphan)

    second = Runner(HistoryStore(store_path))
    try:
        records = {record.id: record for record in second.jobs()}
        assert records[job.id].state == "done"
        assert records[job.id].outputs == {"run_dir": str(tmp_path / "run")}
        assert ("info", "demo finished") in second.log(job.id)
        assert records[orphan.id].state == "cancelled"
        assert "interrupted" in records[orphan.id].error
    finally:
        second.shutdown()


def test_bad_config_is_refused_before_queueing(runner, tmp_path):
    with pytest.raises(InputError, match="steps must be at least 1"):
        runner.submit("demo", {"run_dir": str(tmp_path), "steps": 0})
    with pytest.raises(InputError, match="no GPU"):
        runner.submit("demo", {"run_dir": str(tmp_path)}, device="gpu")
    with pytest.raises(InputError, match="unknown job kind"):
        runner.submit("nope", {})
    assert runner.jobs() == []


def test_gpu_jobs_run_one_at_a_time(tmp_path):
    runner = Runner(HistoryStore(tmp_path / "jobs.sqlite"), DeviceInfo((Gpu("Fake", 1024),)))
    kinds.register(DEMO_KIND.__class__(**{**DEMO_KIND.__dict__, "name": "gpu-demo", "uses_gpu": True}))
    try:
        a = runner.submit("gpu-demo", {"run_dir": str(tmp_path / "a"), "steps": 2000, "delay": 0.01})
        b = runner.submit("gpu-demo", {"run_dir": str(tmp_path / "b"), "steps": 2})
        c = runner.submit("demo", {"run_dir": str(tmp_path / "c"), "steps": 2, "delay": 0.0})
        assert runner.wait(c.id, timeout=30).state == "done"  # the CPU slot is free
        assert runner.get(a.id).state == "running" and runner.get(b.id).state == "queued"
        runner.cancel(a.id)
        assert runner.wait(b.id, timeout=30).state == "done"
    finally:
        kinds.unregister("gpu-demo")
        runner.shutdown(timeout=2)


def test_form_defaults_come_from_the_config_dataclass():
    from artgen.dcgan.config import TrainConfig

    train = kinds.get("train")
    fields = {spec.name: spec for spec in kinds.form_fields(train)}
    assert fields["data_dir"].kind == "folder"
    assert fields["size"].choices == (32, 64, 128)
    assert fields["epochs"].optional and fields["ema"].kind == "bool"
    assert kinds.defaults(train)["learning_rate"] == TrainConfig.__dataclass_fields__["learning_rate"].default
    with pytest.raises(InputError, match="--size must be one of"):
        kinds.build_config(train, {"data_dir": "x", "size": 48})


def test_every_kind_names_an_engine_that_imports_and_a_typo_is_an_import_error():
    """No kind shows as "not available": each engine imports, and a misspelt one fails here."""
    for kind in kinds.KINDS.values():
        assert callable(kinds.resolve(kind.engine)), kind.name
    for typo in ("artgen.walk:render_wakl", "artgen.not_here:render_walk"):
        with pytest.raises(ImportError):
            kinds.resolve(typo)


def test_importing_the_jobs_package_leaves_tensorflow_out():
    code = (
        "import sys, artgen.jobs, artgen.jobs.runner, artgen.jobs.worker, artgen.cli.jobs\n"
        "from artgen.jobs import kinds\n"
        "[kinds.form_fields(k) for k in kinds.KINDS.values()]\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'backend imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

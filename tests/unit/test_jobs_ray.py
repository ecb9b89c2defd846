"""The Ray executor against a local Ray instance started here: tiny jobs go out as Ray tasks,
their events come back as a local child's do, cancel stops the engine, outputs are checked shared.

Ray starts in a few seconds on a 2-core machine; if it truly cannot start, these tests skip
saying why (``ray.init`` failed), never silently.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import imageio.v3 as iio
import pytest
import ray  # in the test extra: its absence is a failure, not a skip

from artgen.cli import main
from artgen.dcgan.config import TrainConfig
from artgen.errors import InputError
from artgen.events import Progress
from artgen.jobs import HistoryStore, Runner
from artgen.jobs.ray_executor import RayExecutor

pytestmark = [pytest.mark.usefixtures("demo_kind"), pytest.mark.slow]  # a real local Ray instance
TESTS = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory):
    """A local Ray instance for this file: 2 CPUs, a small object store, no dashboard.

    Its workers find artgen and the tests' demo engine on PYTHONPATH, as a real cluster's
    nodes would have artgen installed.
    """
    path = os.pathsep.join([str(TESTS.parent), str(TESTS), *sys.path])
    env = {"PYTHONPATH": path, "ARTGEN_CACHE_DIR": str(tmp_path_factory.mktemp("ray-cache"))}
    # Through the environment Ray's processes inherit, not a runtime_env: Ray keeps idle workers
    # started for the default environment only, and a runtime_env would start one per task (seconds).
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        ray.init(
            num_cpus=2,
            num_gpus=0,
            object_store_memory=80 * 2**20,
            include_dashboard=False,
            log_to_driver=False,
        )
    except Exception as exc:  # noqa: BLE001  any failure to start is the reason to give
        pytest.skip(f"a local Ray instance could not start here: {type(exc).__name__}: {exc}")
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    yield
    ray.shutdown()


@pytest.fixture
def ray_runner(local_ray, tmp_path):
    runner = Runner(HistoryStore(tmp_path / "jobs.sqlite"), executor=RayExecutor(), stop_timeout=60)
    yield runner
    runner.shutdown(timeout=10)


def _wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_demo_job_runs_as_a_ray_task_with_its_events_in_order(ray_runner, tmp_path):
    updates = []
    ray_runner.subscribe(updates.append)
    job = ray_runner.submit("demo", {"run_dir": str(tmp_path / "run"), "steps": 8, "delay": 0.0})
    record = ray_runner.wait(job.id, timeout=60)
    _wait_for(lambda: updates[-1].record.state == "done")

    assert record.state == "done", record.error
    assert record.outputs == {"run_dir": str(tmp_path / "run")}
    assert record.placement.startswith("ray cpu @ ")  # where the task landed, for the job list
    steps = [u.event.step for u in updates if isinstance(u.event, Progress)]
    assert steps == list(range(0, 9))
    assert [m.values["loss"] for m in ray_runner.metrics(job.id)] == [1.0 / step for step in range(1, 9)]
    assert ("info", "demo finished") in ray_runner.log(job.id)
    saved = HistoryStore(tmp_path / "jobs.sqlite").get(job.id)  # what `artgen jobs` reads
    assert saved.state == "done" and saved.placement == record.placement


def test_cancel_asks_the_engine_to_stop_and_it_checkpoints(ray_runner, tmp_path):
    run_dir = tmp_path / "run"
    job = ray_runner.submit("demo", {"run_dir": str(run_dir), "steps": 5000, "delay": 0.01})
    _wait_for(lambda: ray_runner.get(job.id).step >= 3)
    ray_runner.cancel(job.id)
    assert ray_runner.get(job.id).state == "stopping"
    record = ray_runner.wait(job.id, timeout=30)
    assert record.state == "cancelled" and record.error is None  # stopped by itself, not killed
    assert record.resumable and (run_dir / "checkpoints" / "state.json").exists()
    assert any(text.startswith("stopped at step") for _, text in ray_runner.log(job.id))


def test_a_walk_and_a_four_step_training_run_on_ray(ray_runner, tmp_path, shapes_dir):
    walk_config = {"out": str(tmp_path / "walk.gif"), "frames": 4, "size": 32}
    walk = ray_runner.submit("walk", walk_config, device="cpu")
    train_config = TrainConfig.tiny(str(shapes_dir), steps=4, runs_root=str(tmp_path / "runs")).to_dict()
    train = ray_runner.submit("train", train_config, device="cpu")
    walked = ray_runner.wait(walk.id, timeout=120)
    trained = ray_runner.wait(train.id, timeout=120)

    assert walked.state == "done", walked.error
    assert Path(walked.outputs["out"]).stat().st_size > 0
    assert trained.state == "done", trained.error
    assert Path(trained.outputs["generator_path"]).is_file()
    steps = [m.step for m in ray_runner.metrics(train.id)]
    assert steps and steps[-1] == 4


def test_outputs_must_be_on_storage_the_cluster_shares(local_ray, tmp_path):
    executor = RayExecutor()
    elsewhere = tmp_path / "another-node"
    elsewhere.mkdir()

    @ray.remote(num_cpus=0)
    def write_on_its_own_disk(path: str, token: str) -> None:
        """A node with its own disk: the probe lands in a folder of the same name, not ours."""
        (elsewhere / Path(path).name).write_text(token)

    executor.probe_task = write_on_its_own_disk
    runner = Runner(HistoryStore(tmp_path / "jobs.sqlite"), executor=executor)
    try:
        with pytest.raises(InputError, match="not on storage the Ray cluster shares"):
            runner.submit("demo", {"run_dir": str(tmp_path / "run")})
        assert runner.jobs() == []
        assert not list(tmp_path.glob(".artgen-shared-*"))  # no probe file left behind
    finally:
        runner.shutdown(timeout=5)


def test_a_local_gpu_index_means_nothing_on_a_cluster(ray_runner, tmp_path):
    with pytest.raises(InputError, match="on a Ray cluster use gpu"):
        ray_runner.submit("demo", {"run_dir": str(tmp_path / "run")}, device="gpu:1")
    with pytest.raises(InputError, match="the Ray cluster has no GPU"):
        ray_runner.submit("demo", {"run_dir": str(tmp_path / "run")}, device="gpu")


def test_the_studio_says_where_jobs_run_on_a_cluster(ray_runner, tmp_path):
    asyncio.run(_studio_on_a_cluster(ray_runner, tmp_path))


async def _studio_on_a_cluster(runner, tmp_path):
    from textual.widgets import Label

    from artgen.tui.app import make_app
    from artgen.tui.widgets.job_table import JobTable

    app = make_app(runner, probe=None)
    async with app.run_test(size=(120, 30)) as pilot:
        label = str(app.screen.query_one("#device", Label).render())
        assert label == "Jobs run on the Ray cluster at a local instance: 2 CPUs, 0 GPUs"
        job = runner.submit("demo", {"run_dir": str(tmp_path / "run"), "steps": 3, "delay": 0.0})
        waited = 0.0
        while runner.get(job.id).state != "done":
            assert waited < 60, runner.get(job.id)
            await pilot.pause(0.1)
            waited += 0.1
        await pilot.pause(0.2)
        table = app.screen.query_one(JobTable)
        assert str(table.get_cell(job.id, "where")).startswith("ray cpu @ ")


def test_an_address_nothing_answers_at_is_one_line_in_seconds(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(TESTS.parent)}
    command = [sys.executable, "-m", "artgen", "--cluster", "127.0.0.1:1", "walk", str(tmp_path / "w.gif")]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2 and time.monotonic() - started < 30
    assert done.stderr.splitlines() == [
        "connecting to the Ray cluster at 127.0.0.1:1…",
        "artgen: error: cannot reach the Ray cluster at 127.0.0.1:1: connection refused",
    ]
    assert not (tmp_path / "w.gif").exists()


# -- commands run as jobs on the cluster: artgen --cluster ADDRESS COMMAND (or $ARTGEN_RAY_ADDRESS) --


def test_a_command_on_the_cluster_prints_what_it_prints_here_and_is_in_the_history(
    local_ray, tmp_path, capsys
):
    walk = ["walk", "--frames", "4", "--size", "32"]
    assert main([*walk, str(tmp_path / "here.gif")]) == 0
    here = capsys.readouterr()
    assert main(["--cluster", "auto", *walk, str(tmp_path / "there.gif")]) == 0
    there = capsys.readouterr()

    assert there.out == here.out.replace("here.gif", "there.gif")  # the same result lines on stdout
    assert iio.imread(tmp_path / "there.gif", index=None).shape == (4, 32, 32, 3)
    assert "walk  4/4  100%" in there.err and "running on ray cpu @ " in there.err  # its progress, here
    records = {record.outputs["out"]: record for record in HistoryStore().all()}  # both runs are kept
    there_job, here_job = records[str(tmp_path / "there.gif")], records[str(tmp_path / "here.gif")]
    assert (there_job.kind, there_job.state) == (here_job.kind, here_job.state) == ("walk", "done")
    assert there_job.placement.startswith("ray cpu @ ")


def test_ctrl_c_asks_the_cluster_job_to_stop_and_it_checkpoints(
    local_ray, tmp_path, shapes_dir, tiny_model, capsys, monkeypatch
):
    monkeypatch.setenv("ARTGEN_RAY_ADDRESS", "auto")  # the variable stands for --cluster
    run_dir = tmp_path / "run"

    def press_ctrl_c_once_it_trains() -> None:
        store, deadline = HistoryStore(), time.monotonic() + 240
        while time.monotonic() < deadline:
            if any(record.step >= 2 for record in store.all()):
                os.kill(os.getpid(), signal.SIGINT)  # the command's StopRequest takes it, as in a terminal
                return
            time.sleep(0.2)

    threading.Thread(target=press_ctrl_c_once_it_trains, daemon=True).start()
    argv = ["train", str(shapes_dir), *tiny_model, "--steps", "100000", "--run-dir", str(run_dir)]
    assert main(argv) == 130
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [f"run directory: {run_dir}"]
    assert "Ctrl-C: stopping after this step" in captured.err
    assert f"resume with: artgen train --resume {run_dir}" in captured.err  # the engine's own line, relayed
    [record] = HistoryStore().all()
    assert record.state == "cancelled" and record.resumable
    assert list((run_dir / "checkpoints").glob("step-*.npz"))


def test_a_job_refused_on_the_cluster_is_one_line_and_the_local_exit_status(local_ray, tmp_path, capsys):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "a.png").write_text("not a picture")  # named like an image: only decoding it tells
    argv = ["--cluster", "auto", "train", str(broken), "--size", "32", "--run-dir", str(tmp_path / "run")]
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("artgen: error: ") and "has no usable images" in err[-1]
    assert not any("Traceback" in line for line in err)
    [record] = HistoryStore().all()
    assert record.state == "failed" and "has no usable images" in record.error

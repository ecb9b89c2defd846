"""A job's life cycle as users meet it: stopping, a killed studio, resumes that continue one run,
histories read from other folders, and forms that offer every option and work with one key."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from artgen.jobs import HistoryStore, Runner, kinds
from artgen.jobs.prepare import new_file

pytestmark = pytest.mark.usefixtures("demo_kind")


@pytest.mark.slow
def test_cancel_says_stopping_at_once_and_the_final_state_when_the_result_comes(runner, tmp_path, wait_for):
    updates = []
    runner.subscribe(updates.append)
    job = runner.submit("demo", {"run_dir": str(tmp_path / "run"), "steps": 2000, "delay": 0.01, "linger": 5})
    wait_for(lambda: runner.get(job.id).step >= 2)
    runner.cancel(job.id)
    assert runner.get(job.id).state == "stopping"  # at once, before the engine has noticed
    assert updates[-1].record.state == "stopping" or updates[-2].record.state == "stopping"
    started = time.monotonic()
    wait_for(lambda: runner.get(job.id).state == "cancelled", timeout=4)
    assert time.monotonic() - started < 4  # not the 5 s the process takes to exit
    assert runner.pid(job.id) is not None  # still exiting, and still holding its slot
    assert runner.get(job.id).resumable


def test_a_job_left_by_a_killed_studio_is_resumable_with_its_output(tmp_path, wait_for):
    history, run_dir = tmp_path / "jobs.sqlite", tmp_path / "run"
    studio = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(Path(__file__).parents[1])!r})  # tests/, where the demo engine lives
        from artgen.jobs import HistoryStore, Runner, kinds
        from demo_engine import DEMO_KIND
        kinds.register(DEMO_KIND)
        runner = Runner(HistoryStore({str(history)!r}))
        job = runner.submit("demo", {{"run_dir": {str(run_dir)!r}, "steps": 5000, "delay": 0.01}})
        while runner.get(job.id).step < 3:
            time.sleep(0.02)
        print(job.id, flush=True)
        time.sleep(60)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", studio], stdout=subprocess.PIPE, text=True)
    try:
        job_id = process.stdout.readline().strip()
    finally:
        os.kill(process.pid, signal.SIGKILL)  # kill -9: no shutdown, no goodbye to the job
        process.wait()

    second = Runner(HistoryStore(history))  # at once: the orphaned job may not have stopped yet
    try:
        record = second.get(job_id)
        assert record.state == "cancelled" and "interrupted" in record.error
        assert record.output == str(run_dir)  # shown in the list, though no result ever came
        wait_for(lambda: (run_dir / "checkpoints" / "state.json").exists())  # it stopped with a checkpoint
        resumed = second.resume(job_id)
        wait_for(lambda: any("resuming from step" in text for _, text in second.log(resumed.id)))
        second.cancel(resumed.id)
        second.wait(resumed.id, timeout=10)
    finally:
        second.shutdown(timeout=2)


def test_a_resumed_job_shows_the_runs_whole_metric_history(runner, tmp_path, wait_for):
    run_dir = tmp_path / "run"
    first = runner.submit("demo", {"run_dir": str(run_dir), "steps": 2000, "delay": 0.01})
    wait_for(lambda: runner.get(first.id).step >= 10)
    runner.cancel(first.id)
    runner.wait(first.id, timeout=10)
    resumed = runner.resume(first.id)
    wait_for(lambda: runner.get(resumed.id).step >= runner.get(first.id).step + 5)
    steps = [point.step for point in runner.metrics(resumed.id)]
    assert steps[0] == 1 and steps == sorted(set(steps))  # from the run's start, once each
    assert steps[-1] > runner.get(first.id).step  # and on into the resumed part
    runner.cancel(resumed.id)
    runner.wait(resumed.id, timeout=10)
    # a later studio, with nothing in memory, reads the same history from the run's metrics.csv
    later = Runner(runner.store)
    try:
        assert [point.step for point in later.metrics(resumed.id)][:3] == [1, 2, 3]
    finally:
        later.shutdown()


def test_paths_are_stored_absolute(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    job = runner.submit("demo", {"run_dir": "relative/run", "steps": 1, "delay": 0})
    assert job.config["run_dir"] == str(tmp_path / "relative" / "run")
    assert job.output == str(tmp_path / "relative" / "run")
    style = kinds.absolute_paths(kinds.KINDS["style"], {"content": "a.jpg", "styles": ["b.jpg"], "out": None})
    assert style == {"content": str(tmp_path / "a.jpg"), "styles": [str(tmp_path / "b.jpg")], "out": None}
    runner.wait(job.id, timeout=30)


MAIN_FIELDS = {
    "train": "data_dir size width batch_size epochs steps learning_rate lr_decay augment ema seed runs_root",
    "sample": "out model count seed select latents overwrite",
    "walk": "out model frames fps keyframes keyframe_images save_latents seed interp ease size overwrite "
    "audio reactivity style style_weight",
    "project": "images out model steps restarts seed overwrite",
    "style": "content styles out method size iterations optimizer content_weight style_weight strength masks "
    "preserve_colors seamless scales seed overwrite tile sequence",
    "texture": "styles out size iterations optimizer seamless scales seed overwrite",
    "toy": "mean std mixture epochs steps_per_epoch batch_size learning_rate gif seed runs_root",
    "classify": "data_dir output preset size base fine_tune val_split epochs batch_size learning_rate "
    "augment rotation shift zoom flip limit seed runs_root",
}


@pytest.mark.parametrize(
    "name", ["train", "sample", "walk", "project", "style", "texture", "toy", "classify"]
)
def test_every_config_field_is_in_the_form_main_ones_first(name):
    kind = kinds.KINDS[name]
    fields = kinds.form_fields(kind)
    config_fields = [field.name for field in dataclasses.fields(kinds.config_class(kind))]
    assert sorted(spec.name for spec in fields) == sorted(config_fields)
    flags = [spec.advanced for spec in fields]
    assert flags == sorted(flags)  # the main ones, then the advanced fold
    main = [spec.name for spec in fields if not spec.advanced]
    assert main == MAIN_FIELDS[name].split()


def test_train_form_offers_what_a_cpu_user_needs():
    fields = {spec.name: spec for spec in kinds.form_fields(kinds.KINDS["train"])}
    assert not fields["width"].advanced
    for name in ("label_smoothing", "ema_decay", "sample_every", "precision"):
        assert fields[name].advanced
    assert fields["precision"].kind == "choice" and "float32" in fields["precision"].choices


def test_walk_and_style_forms_work_with_one_key_on_a_fresh_install(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    walk = kinds.suggestions(kinds.KINDS["walk"])
    assert walk == {"out": str(tmp_path / "walk-1.gif")}
    (tmp_path / "walk-1.gif").write_bytes(b"made earlier")
    assert kinds.suggestions(kinds.KINDS["walk"])["out"] == str(tmp_path / "walk-2.gif")
    assert new_file("samples", ".png") == str(tmp_path / "samples-1.png")
    for name in ("walk", "style", "sample", "project"):
        kind = kinds.KINDS[name]
        kinds.build_config(kind, kinds.suggestions(kind))  # valid as it stands: ctrl+s starts it
    style = kinds.suggestions(kinds.KINDS["style"])
    assert Path(style["content"]).is_file() and all(Path(path).is_file() for path in style["styles"])

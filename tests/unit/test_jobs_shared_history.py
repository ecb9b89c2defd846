"""One history, many processes: records name their process, readers see a gone one's job as
interrupted, a runner sees what others wrote, a command's run is recorded, a re-run takes a free name."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from demo_engine import DemoConfig, DemoResult

from artgen.errors import InputError
from artgen.events import Message, Preview, Progress
from artgen.jobs import HistoryStore, JobRecord, Runner
from artgen.jobs.format import command_text
from artgen.jobs.owners import Owner, process_start, this_process
from artgen.jobs.prepare import next_free
from artgen.jobs.recording import Recording

pytestmark = pytest.mark.usefixtures("demo_kind")


def _dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_process_is_its_id_and_start_time():
    me = this_process("cli")
    assert Owner.parse(me.text()) == me and me.alive()
    assert process_start(_dead_pid()) is None
    assert not Owner("cli", _dead_pid(), "1", me.host).alive()
    # the same id, started at another time: a new process that got a dead one's id
    assert not Owner("studio", me.pid, str(int(me.start) + 1), me.host).alive()
    assert Owner("studio", 1, "1", "another-machine").alive()  # only its own machine can tell
    assert Owner.parse("garbage") is None and Owner.parse(None) is None


def test_every_reader_sees_a_gone_process_job_as_interrupted(tmp_path):
    store = HistoryStore(tmp_path / "jobs.sqlite")
    gone = Owner("cli", _dead_pid(), "1", this_process("cli").host).text()
    record = JobRecord("20260101-100000-dead", "demo", {"run_dir": str(tmp_path / "run")}, state="running")
    store.save(record.replace(owner=gone, step=81, total=100, started=1000.0))
    store.save(record.replace(id="20260101-100000-live", owner=this_process("cli").text()))

    read = {job.id: job for job in store.all()}
    assert read["20260101-100000-dead"].state == "cancelled"
    assert "interrupted" in read["20260101-100000-dead"].error and f"process {gone.split()[1]}" in (
        read["20260101-100000-dead"].error
    )
    assert read["20260101-100000-live"].state == "running"

    closed = store.close_orphans()
    assert [job.id for job in closed] == ["20260101-100000-dead"]
    assert store.log("20260101-100000-dead")[-1][1].startswith("job cancelled: interrupted")


def test_artgen_jobs_lists_a_dead_job_as_interrupted_not_running(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ARTGEN_DATA_DIR", str(tmp_path))
    from artgen.cli import main

    gone = Owner("studio", _dead_pid(), "1", this_process("cli").host).text()
    HistoryStore().save(
        JobRecord("20260101-100000-dead", "demo", {}, state="running", step=81, total=100, owner=gone)
    )
    assert main(["jobs"]) == 0
    listed = capsys.readouterr().out
    assert "cancelled" in listed and "81%" not in listed
    assert main(["jobs", "20260101-100000-dead"]) == 0
    assert "interrupted: the studio (process" in capsys.readouterr().out


@pytest.mark.slow
def test_a_runner_sees_jobs_that_other_processes_write_within_a_poll(tmp_path, wait_for):
    path = tmp_path / "jobs.sqlite"
    first, second = Runner(HistoryStore(path)), Runner(HistoryStore(path))
    try:
        seen = []
        second.subscribe(lambda update: seen.append(update))
        job = first.submit("demo", {"run_dir": str(tmp_path / "run"), "steps": 40, "delay": 0.05})
        wait_for(lambda: job.id in {record.id for record in second.jobs()}, timeout=5)
        wait_for(lambda: second.get(job.id).state == "done", timeout=30)

        def lines() -> list[str]:
            return [update.event.text for update in seen if isinstance(update.event, Message)]

        wait_for(lambda: "job done" in lines(), timeout=5)  # the log arrives as it is written
        assert "demo finished" in lines() and lines()[-1] == "job done"
    finally:
        first.shutdown(timeout=2)
        second.shutdown(timeout=2)


def test_a_job_a_second_studio_runs_is_not_interrupted_by_a_first_that_opens(tmp_path, wait_for):
    path = tmp_path / "jobs.sqlite"
    first = Runner(HistoryStore(path))
    try:
        job = first.submit("demo", {"run_dir": str(tmp_path / "run"), "steps": 400, "delay": 0.02})
        wait_for(lambda: first.get(job.id).state == "running")
        second = Runner(HistoryStore(path))
        try:
            assert second.get(job.id).state == "running"
            with pytest.raises(InputError, match="runs in the studio"):
                second.cancel(job.id)
        finally:
            second.shutdown(timeout=2)
        assert first.get(job.id).state == "running"
    finally:
        first.shutdown(timeout=2)


def _demo_recording(tmp_path, **options) -> Recording:
    return Recording("demo", DemoConfig(run_dir=str(tmp_path / "run")), **options)


def test_a_command_run_is_recorded_from_start_to_end(tmp_path):
    recording = _demo_recording(tmp_path)
    store = HistoryStore()
    with recording:
        record = store.all()[0]
        assert record.state == "running" and record.kind == "demo"
        assert Owner.parse(record.owner).role == "cli" and record.placement == "command line"
        relay = recording.relay(lambda event: None)
        relay(Progress(3, 10, stage="demo"))
        relay(Message("hello"))
        relay(Preview(str(tmp_path / "p.png")))
        recording.finished(DemoResult(tmp_path / "run", 10, stopped=False))
    record = store.get(record.id)
    assert record.state == "done" and record.step == 3 and record.preview == str(tmp_path / "p.png")
    assert record.outputs == {"run_dir": str(tmp_path / "run")}
    assert store.log(record.id) == [("info", "hello"), ("info", "job done")]


def test_a_failed_or_interrupted_command_run_says_so_and_no_history_keeps_none(tmp_path):
    store = HistoryStore()
    with pytest.raises(InputError), _demo_recording(tmp_path, describe=lambda exc: f"said: {exc}"):
        raise InputError("no images")
    assert store.all()[0].state == "failed" and store.all()[0].error == "said: no images"
    with pytest.raises(KeyboardInterrupt), _demo_recording(tmp_path):
        raise KeyboardInterrupt
    assert store.all()[0].state == "cancelled"
    with _demo_recording(tmp_path, enabled=False):
        pass
    assert len(store.all()) == 2


def test_a_walk_from_the_command_line_is_in_the_history_unless_told_not(tmp_path, monkeypatch):
    from artgen.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["walk", "--frames", "2", "--keyframes", "2", "--size", "16", "a.gif"]) == 0
    assert main(["walk", "--frames", "2", "--keyframes", "2", "--size", "16", "--no-history", "b.gif"]) == 0
    (record,) = HistoryStore().all()
    assert record.kind == "walk" and record.state == "done"
    assert record.output == str(tmp_path / "a.gif") and Path(record.output).is_file()
    assert command_text(record) == f"artgen walk {tmp_path / 'a.gif'} --frames 2 --keyframes 2 --size 16"


def test_a_rerun_takes_the_next_free_output_name(tmp_path):
    (tmp_path / "walk-1.gif").write_bytes(b"GIF89a")
    runner = Runner(HistoryStore(tmp_path / "jobs.sqlite"), slots={"cpu": 0})  # nothing starts: all queued
    try:
        first = runner.submit("walk", {"out": str(tmp_path / "walk-1.gif"), "frames": 4})
        again = runner.rerun(first.id)
        assert again.config["out"] == str(tmp_path / "walk-2.gif")
        assert runner.rerun(first.id).config["out"] == str(tmp_path / "walk-3.gif")  # 2 is queued, taken
        told = runner.submit("walk", {"out": str(tmp_path / "walk-1.gif"), "frames": 4, "overwrite": True})
        assert runner.rerun(told.id).config["out"] == str(tmp_path / "walk-1.gif")
        assert runner.waiting_for(first.id) == "waits for the CPU"
    finally:
        runner.shutdown(timeout=1)


def test_next_free_counts_on_from_the_name_it_is_given(tmp_path):
    (tmp_path / "grid.png").write_bytes(b"")
    (tmp_path / "walk-7.gif").write_bytes(b"")
    (tmp_path / "frames").mkdir()
    assert next_free(str(tmp_path / "new.png")) == str(tmp_path / "new.png")
    assert next_free(str(tmp_path / "grid.png")) == str(tmp_path / "grid-2.png")
    assert next_free(str(tmp_path / "walk-7.gif")) == str(tmp_path / "walk-8.gif")
    assert next_free(str(tmp_path / "frames")) == str(tmp_path / "frames-2")
    taken = {str(tmp_path / "grid-2.png")}
    assert next_free(str(tmp_path / "grid.png"), taken) == str(tmp_path / "grid-3.png")


def test_the_equivalent_command_names_what_differs_from_the_defaults():
    style = JobRecord(
        "x", "style", {"content": "/a/b.jpg", "styles": ["/s1.jpg", "/s 2.jpg"], "size": 256, "masks": []}
    )
    assert command_text(style) == "artgen style /a/b.jpg /s1.jpg '/s 2.jpg' --size 256"
    classify = JobRecord("x", "classify", {"data_dir": "/d", "epochs": 3}, device="cpu")
    assert command_text(classify) == "artgen --device cpu classify train /d --epochs 3"
    assert command_text(JobRecord("x", "no-such-kind", {})) is None


def test_a_queued_job_says_what_it_waits_for(runner, tmp_path, wait_for):
    first = runner.submit("demo", {"run_dir": str(tmp_path / "a"), "steps": 2000, "delay": 0.01})
    second = runner.submit("demo", {"run_dir": str(tmp_path / "b"), "steps": 2, "delay": 0.0})
    wait_for(lambda: runner.get(first.id).state == "running")
    assert runner.waiting_for(second.id) == f"waits for the CPU: job {first.id} runs there"
    assert runner.waiting_for(first.id) is None
    runner.cancel(first.id)


@pytest.mark.slow
def test_cancelling_a_command_line_run_from_a_studio_asks_it_to_stop(runner, tmp_path, wait_for):
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(Path(__file__).parents[1])!r})  # tests/, where the demo engine lives
        from demo_engine import DEMO_KIND, DemoConfig, DemoResult
        from artgen.cli.common import StopRequest
        from artgen.jobs import kinds
        from artgen.jobs.recording import Recording
        kinds.register(DEMO_KIND)
        with StopRequest() as stop, Recording("demo", DemoConfig(run_dir={str(tmp_path)!r})) as recording:
            print("started", flush=True)
            while not stop():
                time.sleep(0.02)
            recording.finished(DemoResult({str(tmp_path)!r}, 1, stopped=True))
        """
    )
    env = {**os.environ, "ARTGEN_DATA_DIR": str(runner.store.path.parent)}  # the runner's history
    command = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert command.stdout.readline().strip() == "started"
        wait_for(lambda: any(job.state == "running" for job in runner.jobs()), timeout=5)
        (job,) = runner.jobs()
        runner.cancel(job.id)  # SIGTERM: the command stops at its next step, as after Ctrl-C
        assert command.wait(timeout=10) == 0
        wait_for(lambda: runner.get(job.id).state == "cancelled", timeout=5)
    finally:
        command.kill()
        command.wait()

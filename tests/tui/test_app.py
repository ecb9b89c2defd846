"""The studio driven by a Pilot: forms, live jobs, cancel, the job list. The real runner, the demo engine."""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys

import pytest
from textual.widgets import Button, Header, Input, ProgressBar, RichLog

from artgen.jobs import JobRecord
from artgen.tui.app import make_app
from artgen.tui.screens.form import FormScreen
from artgen.tui.screens.job import JobScreen
from artgen.tui.screens.jobs import JobsScreen
from artgen.tui.widgets.preview import Preview


async def _until(pilot, predicate, timeout=20.0):
    waited = 0.0
    while not predicate():
        assert waited < timeout, "timed out"
        await pilot.pause(0.05)
        waited += 0.05


@pytest.mark.slow
def test_fill_a_form_start_a_job_and_watch_it(runner, tmp_path):
    asyncio.run(_fill_a_form_start_a_job_and_watch_it(runner, tmp_path))


async def _fill_a_form_start_a_job_and_watch_it(runner, tmp_path):
    app = make_app(runner, probe=None, halfcell_previews=True)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("d")  # the demo kind's key on the home screen
        assert isinstance(app.screen, FormScreen)
        form = app.screen
        steps = form.query_one("#field-steps", Input)
        steps.value = "0"
        await pilot.pause()
        assert "steps must be at least 1" in str(form.query_one("#form-error").render())
        assert form.query_one("#start", Button).disabled
        steps.value = "abc"
        await pilot.pause()
        assert "'abc' is not a whole number" in str(form.query_one("#note-steps").render())
        steps.value = "40"
        form.query_one("#field-run_dir", Input).value = str(tmp_path / "run")
        form.query_one("#field-delay", Input).value = "0.05"
        await pilot.pause()
        assert not form.query_one("#start", Button).disabled

        await pilot.press("ctrl+s")
        await _until(pilot, lambda: isinstance(app.screen, JobScreen))
        screen = app.screen
        bar = screen.query_one(ProgressBar)
        await _until(pilot, lambda: (bar.progress or 0) >= 5)
        first = bar.progress
        await _until(pilot, lambda: screen.query_one(Preview).path is not None)
        assert screen.query_one(Preview).path.endswith(".png")
        await _until(pilot, lambda: bar.progress > first)  # it keeps advancing

        await pilot.press("c")
        await _until(pilot, lambda: runner.get(screen.job_id).state == "cancelled")
        log = screen.query_one(RichLog)
        await _until(pilot, lambda: any("job cancelled" in line.text for line in log.lines))
        cancelled = screen.job_id
        assert runner.get(cancelled).resumable

        await pilot.press("r")  # resume from the checkpoint, as a new job
        await _until(pilot, lambda: isinstance(app.screen, JobScreen) and app.screen.job_id != cancelled)
        resumed = app.screen.job_id
        await _until(pilot, lambda: runner.get(resumed).state == "done", timeout=30)
        assert ("info", "demo finished") in runner.log(resumed)


@pytest.mark.slow
def test_job_list_cancels_and_reruns(runner, tmp_path):
    asyncio.run(_job_list_cancels_and_reruns(runner, tmp_path))


async def _job_list_cancels_and_reruns(runner, tmp_path):
    job = runner.submit("demo", {"run_dir": str(tmp_path / "run"), "steps": 5000, "delay": 0.01})
    app = make_app(runner, probe=None, halfcell_previews=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("j")
        assert isinstance(app.screen, JobsScreen)
        await _until(pilot, lambda: runner.get(job.id).state == "running")
        await pilot.press("c")
        await _until(pilot, lambda: runner.get(job.id).state == "cancelled")
        await pilot.pause(0.2)
        assert "cancelled" in str(app.screen.query_one("#all-jobs").get_row(job.id)[2])
        await pilot.press("e")  # re-run with the same settings
        await _until(pilot, lambda: len(runner.jobs()) == 2)
        rerun: JobRecord = runner.jobs()[0]
        assert rerun.config == job.config and rerun.id != job.id
        runner.cancel(rerun.id)


@pytest.mark.slow
def test_help_palette_and_theme(fake_runner):
    asyncio.run(_help_palette_and_theme(fake_runner))


async def _help_palette_and_theme(fake_runner):
    app = make_app(fake_runner, probe=None, halfcell_previews=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        commands = [command.title for command in app.get_system_commands(app.screen)]
        assert "New job: Train a DCGAN" in commands and "Job list" in commands
        before = app.theme
        await pilot.press("ctrl+t")
        assert app.theme != before


def test_building_the_app_leaves_tensorflow_out(tmp_path):
    code = (
        "import sys\n"
        "from artgen.tui.app import make_app\n"
        "app = make_app(probe=None)\n"
        "app.runner.shutdown()\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'backend imported'\n"
    )
    env = {**os.environ, "ARTGEN_DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


@pytest.mark.slow
def test_every_available_engine_has_a_form(fake_runner):
    asyncio.run(_every_available_engine_has_a_form(fake_runner))


async def _every_available_engine_has_a_form(fake_runner):
    from artgen.jobs import kinds

    app = make_app(fake_runner, probe=None, halfcell_previews=True)
    async with app.run_test(size=(80, 24)) as pilot:
        for kind in kinds.KINDS.values():
            await pilot.press(kind.key)
            assert isinstance(app.screen, FormScreen) and app.screen.kind is kind
            assert app.screen.query(Input) or kind.name == "demo"
            await pilot.press("escape")


@pytest.mark.slow
def test_moving_between_views_shows_each_job_and_leaves_no_screens_behind(fake_runner):
    asyncio.run(_moving_between_views(fake_runner))


async def _moving_between_views(fake_runner):
    running, done = "20260101-120000-aaaa", "20260101-110000-bbbb"
    app = make_app(fake_runner, probe=None, halfcell_previews=True)
    async with app.run_test(size=(100, 30)) as pilot:

        def headers_alive() -> int:
            gc.collect()
            return sum(isinstance(thing, Header) for thing in gc.get_objects())

        app.open_job(running)
        await pilot.pause()
        view = app.screen
        assert any("TensorFlow sees no GPU" in line.text for line in view.query_one(RichLog).lines)
        await pilot.press("j")
        app.open_job(done)
        await pilot.pause()
        assert app.screen is view and view.job_id == done
        assert not view.query_one(RichLog).lines  # the other job's log is gone
        assert view.query_one(Preview).path is None  # and so is its preview
        await pilot.press("escape", "escape", "d", "escape", "question_mark", "escape")
        settled = headers_alive()
        for _ in range(5):
            for job_id in (running, done):
                app.open_job(job_id)
                await pilot.press("j", "escape", "escape", "d", "escape")
        assert headers_alive() == settled

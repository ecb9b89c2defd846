"""The studio as a place to work, driven by a Pilot: a failed job says why, a re-run does not trip over
its own output, a second studio sees the first's jobs, every key fits 80x24, forms refuse what would
fail later, and a newcomer has something to train on."""

from __future__ import annotations

import asyncio
import zipfile
from pathlib import Path

import pytest
from conftest import FIXED_NOW
from PIL import Image
from textual.widgets import Input, Label, ProgressBar, RichLog, Static

from artgen.assets import asset
from artgen.events import Metrics
from artgen.jobs import HistoryStore, JobRecord, Runner
from artgen.tui.app import make_app
from artgen.tui.screens.form import FormScreen
from artgen.tui.screens.job import JobScreen
from artgen.tui.widgets.job_table import JobTable
from artgen.tui.widgets.loss_chart import LossChart
from artgen.tui.widgets.preview import Preview


async def _until(pilot, predicate, timeout=20.0):
    waited = 0.0
    while not predicate():
        assert waited < timeout, "timed out"
        await pilot.pause(0.05)
        waited += 0.05


def _app(runner, clock=lambda: FIXED_NOW):
    return make_app(runner, probe=None, halfcell_previews=True, clock=clock)


def _text(widget) -> str:
    return str(widget.render())


def test_a_failed_job_says_why_where_its_traceback_is_and_stops_its_bar(runner, tmp_path):
    asyncio.run(_failed_job(runner, tmp_path))


async def _failed_job(runner, tmp_path):
    job = runner.submit("demo", {"run_dir": str(tmp_path / "run"), "bug_at": 0, "delay": 0.0})
    runner.wait(job.id, timeout=30)
    app = _app(runner)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_job(job.id)
        await pilot.pause()
        view = app.screen
        problem = _text(view.query_one("#job-problem", Static))
        assert "error: RuntimeError: demo bug at step 0" in problem
        log_file = runner.log_file(job.id)
        assert f"traceback: {log_file}" in problem and "Traceback" in log_file.read_text()
        assert not view.query_one("#job-output").display  # the run folder was never written
        bar = view.query_one(ProgressBar)
        assert bar.total is not None  # a total: the bar stands still, no "working" animation
        lines = [line.text for line in view.query_one(RichLog).lines]
        assert lines[-1] == "job failed: RuntimeError: demo bug at step 0"  # not just "running on the CPU"


def test_a_failed_job_gives_the_command_that_runs_it_from_a_shell(snap_compare, fake_runner):
    failed = JobRecord(
        "20260101-090000-dddd",
        "walk",
        {"out": "/home/user/art/walk-1.gif", "model": "/home/user/runs", "frames": 48},
        state="failed",
        created=FIXED_NOW - 700,
        started=FIXED_NOW - 690,
        finished=FIXED_NOW - 660,
        error="model /home/user/runs is not a generator",
        outputs={"out": "/home/user/art/walk-1.gif"},
        placement="cpu",
    )
    fake_runner.records[failed.id] = failed

    async def open_it(pilot):
        pilot.app.open_job(failed.id)
        await pilot.pause()
        problem = _text(pilot.app.screen.query_one("#job-problem", Static))
        assert "from a shell: artgen walk /home/user/art/walk-1.gif --model /home/user/runs --frames 48" in (
            " ".join(problem.split())
        )

    assert snap_compare(_app(fake_runner), terminal_size=(80, 24), run_before=open_it)


def test_rerun_of_a_walk_takes_the_next_free_output_name(tmp_path):
    asyncio.run(_rerun(tmp_path))


async def _rerun(tmp_path):
    (tmp_path / "walk-1.gif").write_bytes(b"GIF89a")
    store = HistoryStore(tmp_path / "jobs.sqlite")
    done = JobRecord(
        "20260101-100000-aaaa",
        "walk",
        {"out": str(tmp_path / "walk-1.gif"), "frames": 4},
        state="done",
        outputs={"out": str(tmp_path / "walk-1.gif")},
    )
    store.save(done)
    runner = Runner(store, slots={"cpu": 0})  # nothing starts: the re-run waits in the queue
    try:
        app = _app(runner)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("j", "e")
            await _until(pilot, lambda: isinstance(app.screen, JobScreen))
            again = runner.get(app.screen.job_id)
            assert again.config["out"] == str(tmp_path / "walk-2.gif")
            stats = _text(app.screen.query_one("#job-stats", Label))
            assert stats == "waits for the CPU"  # a queued job says what it waits for
    finally:
        runner.shutdown(timeout=1)


@pytest.mark.slow
def test_a_second_studio_shows_the_first_studios_jobs_as_they_run(runner, tmp_path):
    asyncio.run(_second_studio(runner, tmp_path))


async def _second_studio(runner, tmp_path):
    second = Runner(HistoryStore(runner.store.path))
    try:
        app = _app(second)
        async with app.run_test(size=(100, 30)) as pilot:
            job = runner.submit("demo", {"run_dir": str(tmp_path / "run"), "steps": 60, "delay": 0.05})
            table = app.screen.query_one(JobTable)
            await _until(pilot, lambda: job.id in table.rows, timeout=5)  # within a poll or two
            app.open_job(job.id)
            await pilot.pause()
            view = app.screen
            title = view.query_one("#job-title", Label)
            await _until(pilot, lambda: _text(title).startswith("done"), timeout=30)
            log = view.query_one(RichLog)
            await _until(pilot, lambda: any(line.text == "job done" for line in log.lines), timeout=5)
            assert any(line.text == "demo finished" for line in log.lines)
    finally:
        second.shutdown(timeout=2)


@pytest.mark.slow
def test_every_screens_keys_fit_80_by_24(fake_runner):
    asyncio.run(_keys_fit(fake_runner))


async def _keys_fit(fake_runner):
    running = fake_runner.records["20260101-120000-aaaa"]
    far = "/home/someone/projects/generative-art/experiments/runs/faces-with-augmentation-20260101-120000"
    fake_runner.records[running.id] = running.replace(outputs={"run_dir": far})
    app = _app(fake_runner)

    def shown() -> list[str]:
        keys = app.screen.query("FooterKey")
        assert all(key.region.right <= 80 and key.region.width > 0 for key in keys), "a key is cut off"
        return [key.description for key in keys]

    async with app.run_test(size=(80, 24)) as pilot:
        assert {"Jobs", "Help", "Quit"} <= set(shown())
        await pilot.press("j")
        assert {"Back", "Cancel", "Resume", "Re-run", "Open", "Jobs", "Help", "Quit"} <= set(shown())
        app.open_job("20260101-120000-aaaa")
        await pilot.pause()
        assert {"Back", "Cancel", "Resume", "Re-run", "Open", "Help", "Quit"} <= set(shown())
        output = app.screen.query_one("#job-output", Static)
        assert _text(output) == f"output: {far}" and output.size.height >= 2  # wrapped, not cut
        await pilot.press("escape", "escape", "t")
        await pilot.pause()
        assert {"Back", "Start", "Browse"} <= set(shown())


def test_a_chart_plots_losses_not_the_epoch_and_its_legend_is_a_line_of_its_own(fake_runner):
    asyncio.run(_chart(fake_runner))


async def _chart(fake_runner):
    app = _app(fake_runner)
    async with app.run_test(size=(80, 24)) as pilot:
        chart = app.screen.mount(LossChart())
        await chart
        widget = app.screen.query_one(LossChart)
        widget.show([Metrics(step, {"epoch": float(step), "distance": 1 / step}) for step in range(1, 9)])
        legend = _text(widget.query_one("#chart-legend", Label))
        assert "distance" in legend and "epoch" not in legend
        await pilot.pause()


@pytest.mark.slow
def test_a_resumed_run_shows_its_earlier_grid_and_times_move_without_events(fake_runner, tmp_path):
    asyncio.run(_resumed_and_ticking(fake_runner, tmp_path))


async def _resumed_and_ticking(fake_runner, tmp_path):
    grid = tmp_path / "run" / "images" / "step-00000005.png"
    grid.parent.mkdir(parents=True)
    Image.new("RGB", (8, 8), "red").save(grid)
    resumed = JobRecord(
        "20260101-130000-eeee",
        "train",
        {"data_dir": "/faces", "run_dir": str(tmp_path / "run")},
        state="running",
        created=FIXED_NOW - 5,
        started=FIXED_NOW - 5,
        outputs={"run_dir": str(tmp_path / "run")},
    )
    fake_runner.records[resumed.id] = resumed
    now = [FIXED_NOW]
    app = _app(fake_runner, clock=lambda: now[0])
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one(JobTable)
        assert str(table.get_cell(resumed.id, "took")) == "0:05"
        now[0] += 20  # a job importing TensorFlow: no event for twenty seconds
        await _until(pilot, lambda: str(table.get_cell(resumed.id, "took")) == "0:25", timeout=3)
        app.open_job(resumed.id)
        await pilot.pause()
        assert app.screen.query_one(Preview).path == str(grid)  # not "no preview yet"
        now[0] += 10
        stats = app.screen.query_one("#job-stats", Label)
        await _until(pilot, lambda: _text(stats).endswith("0:35"), timeout=3)


def _keras_file(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{}")
    return path


@pytest.mark.slow
def test_the_generator_field_refuses_what_is_not_a_generator(fake_runner, tmp_path):
    asyncio.run(_generator_field(fake_runner, tmp_path))


async def _generator_field(fake_runner, tmp_path):
    run = tmp_path / "runs" / "faces-20260101-100000"
    run.mkdir(parents=True)
    (run / "config.json").write_text("{}")
    _keras_file(run / "generator.keras")
    (tmp_path / "notes.keras").write_text("not a zip")
    app = _app(fake_runner)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("w")
        form = app.screen
        assert isinstance(form, FormScreen)
        model = form.query_one("#field-model", Input)
        note = form.query_one("#note-model", Static)
        model.value = str(tmp_path / "runs")  # the runs' parent, where a picker starts
        await pilot.pause()
        assert "not a training run (no config.json); the runs in it: faces-20260101-100000" in _text(note)
        assert form.query_one("#start").disabled
        model.value = str(tmp_path / "notes.keras")
        await pilot.pause()
        assert "not a whole .keras file" in _text(note)
        model.value = str(run)
        await pilot.pause()
        assert "model" not in form.errors


@pytest.mark.slow
def test_an_error_across_options_shows_at_its_option_in_the_forms_words(fake_runner):
    asyncio.run(_across_options(fake_runner))


async def _across_options(fake_runner):
    app = _app(fake_runner)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("g")
        form = app.screen
        form.query_one("#field-mixture", Input).value = "1:2:3:4"
        await pilot.pause()
        note = _text(form.query_one("#note-mixture", Static))
        assert "mixture component '1:2:3:4' is not MEAN:STD" in note and "--" not in note
        await pilot.press("escape", "x")
        assert "photos" not in _text(app.screen.query_one("#note-out", Static))


@pytest.mark.slow
def test_training_and_the_classifier_start_on_the_bundled_emoji_with_one_key(fake_runner):
    asyncio.run(_bundled_data(fake_runner))


async def _bundled_data(fake_runner):
    app = _app(fake_runner)
    async with app.run_test(size=(100, 40)) as pilot:
        for key in ("t", "c"):
            await pilot.press(key)
            form = app.screen
            assert form.query_one("#field-data_dir", Input).value == str(asset("emoji"))
            assert not form.query_one("#start").disabled
            await pilot.press("escape")


def test_the_bundled_dataset_is_small_square_pngs_in_class_folders():
    folder = asset("emoji")
    classes = sorted(path for path in folder.iterdir() if path.is_dir())
    assert len(classes) >= 4
    files = [path for path in folder.rglob("*") if path.is_file() and path.suffix == ".png"]
    assert all(len(list(path.glob("*.png"))) >= 50 for path in classes)
    assert sum(path.stat().st_size for path in files) < 3_000_000
    for path in files[::17]:
        with Image.open(path) as picture:
            assert picture.format == "PNG" and picture.size == (64, 64)


@pytest.mark.slow
def test_the_classifier_lab_predicts_from_the_studio(runner, tmp_path):
    asyncio.run(_predict(runner, tmp_path))


async def _predict(runner, tmp_path):
    model = Path(__file__).parents[1] / "unit" / "data" / "classify-v1.keras"  # red, green, blue
    red = tmp_path / "red.png"
    Image.new("RGB", (16, 16), (220, 30, 40)).save(red)
    app = _app(runner)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("p")
        form = app.screen
        field, note = form.query_one("#field-model", Input), form.query_one("#note-model", Static)
        field.value = str(tmp_path)
        await pilot.pause()
        assert "is not a classifier's run (no model.keras)" in _text(note)
        field.value = str(model)
        form.query_one("#field-images", Input).value = str(red)
        await pilot.pause()
        assert not form.errors
        await pilot.press("ctrl+s")
        await _until(pilot, lambda: isinstance(app.screen, JobScreen))
        job_id = app.screen.job_id
        await _until(pilot, lambda: not runner.get(job_id).active, timeout=90)
        lines = [text for _, text in runner.log(job_id)]
        assert any(line.startswith("red.png: red ") for line in lines), lines

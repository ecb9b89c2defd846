"""The studio's job life cycle, driven by a Pilot: stopping at once, columns that fit, resumes under
their run, every option in the form, a chart only when there are metrics, forms that work with one key."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from conftest import FIXED_NOW, FakeRunner
from textual.widgets import Button, Collapsible, Input, Label

from artgen.dcgan.config import TrainConfig
from artgen.jobs import JobRecord
from artgen.tui.app import make_app
from artgen.tui.screens.form import FormScreen
from artgen.tui.screens.job import JobScreen
from artgen.tui.screens.picker import PathPicker
from artgen.tui.widgets.job_table import JobTable


async def _until(pilot, predicate, timeout=20.0):
    waited = 0.0
    while not predicate():
        assert waited < timeout, "timed out"
        await pilot.pause(0.05)
        waited += 0.05


def _app(runner):
    return make_app(runner, probe=None, halfcell_previews=True, clock=lambda: FIXED_NOW)


@pytest.mark.slow
def test_cancel_shows_stopping_at_once_then_the_final_state(runner, tmp_path):
    asyncio.run(_cancel_shows_stopping(runner, tmp_path))


async def _cancel_shows_stopping(runner, tmp_path):
    job = runner.submit("demo", {"run_dir": str(tmp_path / "run"), "steps": 50, "delay": 2.0})
    app = _app(runner)
    async with app.run_test(size=(100, 30)) as pilot:
        # A finished step: the engine is in its next two-second step now, not still starting up
        # (a child that is still importing stops at once when it starts, and would skip "stopping").
        await _until(pilot, lambda: runner.get(job.id).step >= 1)
        app.open_job(job.id)
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause(0.1)  # far less than the step the engine is in
        title = app.screen.query_one("#job-title", Label)
        assert str(title.render()).startswith("stopping…")
        await _until(pilot, lambda: str(title.render()).startswith("cancelled"))


def _running(job_id: str, step: int, created: float, run_dir: str = "/runs/a") -> JobRecord:
    return JobRecord(
        job_id,
        "train",
        {"data_dir": "/faces", "run_dir": run_dir},
        state="running",
        created=created,
        started=created,
        step=step,
        total=100,
        outputs={"run_dir": run_dir},
    )


def test_job_list_columns_grow_with_their_content_and_resumes_sit_under_their_run():
    asyncio.run(_job_list_columns())


async def _job_list_columns():
    first = _running("20260101-100000-aaaa", 1, FIXED_NOW - 300).replace(
        state="cancelled", finished=FIXED_NOW
    )
    other = _running("20260101-110000-bbbb", 5, FIXED_NOW - 200, run_dir="/runs/b").replace(state="done")
    resumed = _running("20260101-120000-cccc", 1, FIXED_NOW - 100)
    runner = FakeRunner([first, other, resumed])
    app = _app(runner)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("j")
        table = app.screen.query_one(JobTable)
        assert [row.value for row in table.rows] == [first.id, resumed.id, other.id]
        assert str(table.get_cell(resumed.id, "kind")).startswith("↳")
        assert not str(table.get_cell(first.id, "kind")).startswith("↳")

        for step in (10, 100):  # "running 1%" -> "running 10%" -> "running 100%"
            table.update_record(resumed.replace(step=step), FIXED_NOW)
            await pilot.pause()
            shown = str(table.get_cell(resumed.id, "state"))
            assert table.columns["state"].get_render_width(table) - 2 * table.cell_padding >= len(shown)
        table.update_record(resumed.replace(state="stopping"), FIXED_NOW)
        assert str(table.get_cell(resumed.id, "state")) == "stopping…"


def test_a_job_without_metrics_shows_preview_and_log_instead_of_an_empty_chart(fake_runner):
    asyncio.run(_without_metrics(fake_runner))


async def _without_metrics(fake_runner):
    app = _app(fake_runner)
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_job("20260101-110000-bbbb")  # a sample job: no metrics
        await pilot.pause()
        view = app.screen
        assert isinstance(view, JobScreen)
        assert view.query_one("#job").has_class("no-metrics")
        assert not view.query_one("#chart").display and view.query_one("#preview").display
        assert view.query_one("#log").size.height > 8
        app.open_job("20260101-120000-aaaa")  # a training job with losses
        await pilot.pause()
        assert view.query_one("#chart").display and not view.query_one("#job").has_class("no-metrics")


@pytest.mark.slow
def test_train_form_has_every_option_and_reopens_at_its_first_field(fake_runner):
    asyncio.run(_train_form(fake_runner))


async def _train_form(fake_runner):
    app = _app(fake_runner)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("t")
        form = app.screen
        assert isinstance(form, FormScreen)
        fold = form.query_one("#advanced", Collapsible)
        assert fold.collapsed
        for name in ("label_smoothing", "ema_decay", "sample_every"):
            assert fold.query(f"#field-{name}")
        width = next(field.default for field in dataclasses.fields(TrainConfig) if field.name == "width")
        assert form.query_one("#field-width", Input).value == str(width)  # a main option, outside the fold
        assert not fold.query("#field-width")
        assert app.focused.id == "field-data_dir"
        form.query_one("#field-seed", Input).focus()
        await pilot.press("escape", "t")
        assert app.screen is form and app.focused.id == "field-data_dir"


@pytest.mark.slow
def test_walk_and_style_start_with_one_key(fake_runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    asyncio.run(_one_key(fake_runner, tmp_path))


async def _one_key(fake_runner, tmp_path):
    app = _app(fake_runner)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("w")
        assert app.screen.query_one("#field-out", Input).value == str(tmp_path / "walk-1.gif")
        await pilot.press("ctrl+s")
        await pilot.pause()
        kind, config, _ = fake_runner.submitted[-1]
        assert kind == "walk" and config["out"] == str(tmp_path / "walk-1.gif")
        (tmp_path / "walk-1.gif").write_bytes(b"the walk that job made")
        await pilot.press("escape", "w")  # the same form again: a new name, not the taken one
        assert app.screen.query_one("#field-out", Input).value == str(tmp_path / "walk-2.gif")

        await pilot.press("escape", "escape", "y")
        await pilot.press("ctrl+s")
        await pilot.pause()
        kind, config, _ = fake_runner.submitted[-1]
        assert kind == "style" and config["content"].endswith("chelsea.jpg")
        assert [path.rsplit("/", 1)[-1] for path in config["styles"]] == ["starry_night.jpg"]


@pytest.mark.slow
def test_style_form_takes_a_folder_of_photos_and_a_mask(fake_runner, image_folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    asyncio.run(_style_batch_with_a_mask(fake_runner, image_folder, tmp_path))


async def _style_batch_with_a_mask(fake_runner, image_folder, tmp_path):
    mask = image_folder / "0.png"  # any readable image is a mask
    app = _app(fake_runner)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("y")
        form = app.screen
        assert {spec.name: spec.kind for spec in form.fields}.items() >= {
            "content": "source",
            "out": "destination",
            "masks": "images",
        }.items()
        fold = form.query_one("#advanced", Collapsible)
        assert fold.query("#field-mask_colors") and fold.query("#field-mask_feather")
        assert not fold.query("#field-masks")  # a main option: regions are what users come for

        content = form.query_one("#field-content", Input)
        content.focus()
        await pilot.press("ctrl+o")  # the picker takes a file or, with ctrl+s, the folder it shows
        assert isinstance(app.screen, PathPicker) and app.screen.either
        app.screen.query_one("#picker-path", Input).value = str(image_folder)
        await pilot.press("ctrl+s")
        assert app.screen is form and content.value == str(image_folder)
        content.value = str(tmp_path / "nowhere")
        await pilot.pause()
        assert "no file or folder" in str(form.query_one("#note-content").render())
        (tmp_path / "clip.mp4").write_bytes(b"decoded when the job runs")
        content.value = str(tmp_path / "clip.mp4")  # a video is a clip to paint, not "not an image"
        await pilot.pause()
        assert "or an animation or video" in str(form.query_one("#note-content").render())
        content.value = str(image_folder)
        form.query_one("#field-out", Input).value = "painted.png"
        await pilot.pause()
        assert "is a folder of photos: -o names a folder" in str(form.query_one("#form-error").render())
        form.query_one("#field-out", Input).value = "painted"
        form.query_one("#field-masks", Input).value = str(mask)
        await pilot.pause()
        assert not form.query_one("#start", Button).disabled
        await pilot.press("ctrl+s")
        await pilot.pause()
        kind, config, _ = fake_runner.submitted[-1]
        assert kind == "style" and config["content"] == str(image_folder)
        assert config["out"] == "painted" and config["masks"] == (str(mask),)

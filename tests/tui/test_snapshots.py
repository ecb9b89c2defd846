"""Snapshots of the home screen, a form and a running job, from fixed data (a fake runner, a fixed clock).

Update them after an intended change with ``pytest tests/tui --snapshot-update`` and look at the diff.
"""

from __future__ import annotations

import pytest
from conftest import FIXED_NOW
from textual.widgets import Input

from artgen.jobs import kinds
from artgen.jobs.devices import DeviceInfo, Gpu
from artgen.tui.app import make_app


@pytest.fixture
def fixed_kinds(monkeypatch):
    """A fixed set of kinds, so these snapshots stay the same when a new kind is added."""
    fixed = {name: kinds.KINDS[name] for name in ("train", "sample", "demo")}
    monkeypatch.setattr(kinds, "KINDS", fixed)


def _app(fake_runner):
    return make_app(fake_runner, probe=None, halfcell_previews=True, clock=lambda: FIXED_NOW)


def test_home(snap_compare, fake_runner, fixed_kinds):
    assert snap_compare(_app(fake_runner), terminal_size=(80, 24))


def test_home_with_two_gpus(snap_compare, fake_runner, fixed_kinds):
    """Each GPU's memory, utilisation and the job holding it (GPU 1 runs the training job)."""
    fake_runner.devices = DeviceInfo(
        (
            Gpu("NVIDIA H100 80GB HBM3", 81_559, index=0, uuid="GPU-a", used_mb=1_024, utilization=0),
            Gpu("NVIDIA H100 80GB HBM3", 81_559, index=1, uuid="GPU-b", used_mb=30_720, utilization=87),
        )
    )
    assert snap_compare(_app(fake_runner), terminal_size=(80, 24))


@pytest.mark.slow
def test_train_form_with_an_error(snap_compare, fake_runner, fixed_kinds):
    async def type_a_bad_folder(pilot):
        await pilot.press("t")
        pilot.app.screen.query_one("#field-data_dir", Input).value = ""  # it starts on the bundled images
        await pilot.press(*"/no/such/folder")
        for field in pilot.app.screen.query(Input):  # a steady cursor: on a busy machine it blinked off
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(_app(fake_runner), terminal_size=(80, 24), run_before=type_a_bad_folder)


def test_running_job(snap_compare, fake_runner, fixed_kinds):
    async def open_the_running_job(pilot):
        pilot.app.open_job("20260101-120000-aaaa")
        await pilot.pause()

    assert snap_compare(_app(fake_runner), terminal_size=(100, 30), run_before=open_the_running_job)

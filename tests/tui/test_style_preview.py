"""The style form's preview: the fast picture of what the form holds, before any job starts."""

from __future__ import annotations

import asyncio
import time

import pytest
from conftest import FIXED_NOW
from textual.widgets import Input

from artgen.assets import asset
from artgen.jobs.preview import PreviewRequest, PreviewWorker
from artgen.tui.app import make_app
from artgen.tui.screens.style_form import StyleFormScreen
from artgen.tui.widgets.preview import Preview


async def _until(pilot, predicate, timeout=10.0):
    waited = 0.0
    while not predicate():
        assert waited < timeout, "timed out"
        await pilot.pause(0.05)
        waited += 0.05


@pytest.mark.slow
def test_the_preview_follows_the_strength_and_drops_late_answers(fake_runner, painter, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    asyncio.run(_follows_the_strength(fake_runner, painter))


async def _follows_the_strength(fake_runner, painter):
    app = make_app(fake_runner, probe=None, halfcell_previews=True, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        painter.gate.clear()
        await pilot.press("y")
        form = app.screen
        assert isinstance(form, StyleFormScreen)
        preview = form.query_one(Preview)
        status = form.query_one("#preview-status")
        await _until(pilot, lambda: len(painter.requests) == 1)  # the bundled photo and painting
        assert "loading the network" in str(status.render())
        assert [request.content.rsplit("/", 1)[-1] for request in painter.requests] == ["chelsea.jpg"]
        painter.gate.set()
        await _until(pilot, lambda: preview.path is not None)
        assert "painted in" in str(status.render())
        shown = []
        show = preview.show

        def recorded(path, caption=""):
            shown.append(path)
            show(path, caption)

        preview.show = recorded

        strength = form.query_one("#field-strength", Input)
        strength.value = "0.6"  # typed on at once: the form waits for the changes to settle
        strength.value = "0.5"
        painter.gate.clear()
        await _until(pilot, lambda: len(painter.requests) == 2)  # 0.5, held in the worker
        strength.value = "0.2"  # asked while 0.5 is painted: waits, and is overtaken
        await pilot.pause(0.5)
        strength.value = "0.3"
        await pilot.pause(0.5)
        painter.gate.set()
        await _until(pilot, lambda: any(path.endswith("-3.png") for path in shown))
        assert [request.strength for request in painter.requests] == [1.0, 0.5, 0.3]
        assert shown == [str(painter.folder / "fake-preview-3.png")]  # 0.5's answer came too late
        assert "painted in" in str(status.render())

        strength.value = "2"  # out of bounds: no request, and the status says why
        await pilot.pause(0.5)
        assert len(painter.requests) == 3 and "strength" in str(status.render())
    assert painter.closed  # the studio stops its worker on the way out


@pytest.mark.slow
def test_the_worker_keeps_the_network_loaded():
    photo, painting = str(asset("samples", "chelsea.jpg")), str(asset("styles", "starry_night.jpg"))
    worker = PreviewWorker()
    try:
        first = worker.paint(PreviewRequest(photo, (painting,), strength=1.0))
        assert first.path is not None and first.error is None
        started = time.perf_counter()
        second = worker.paint(PreviewRequest(photo, (painting,), strength=0.5))
        warm = time.perf_counter() - started
        assert second.path is not None and second.path != first.path
        assert warm < 3.0, f"a warm preview took {warm:.2f} s"
        refused = worker.paint(PreviewRequest(photo, (photo + ".missing",)))
        assert refused.path is None and "no such file" in str(refused.error)
    finally:
        worker.close()

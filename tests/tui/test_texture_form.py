"""The texture job in the studio: its form comes from TextureConfig and starts with one key."""

from __future__ import annotations

import asyncio

import pytest
from conftest import FIXED_NOW
from textual.widgets import Input, Select, Switch

from artgen.tui.app import make_app
from artgen.tui.screens.form import FormScreen


@pytest.mark.slow
def test_texture_form_is_seamless_by_default_and_starts_with_one_key(fake_runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    asyncio.run(_texture_form(fake_runner, tmp_path))


async def _texture_form(fake_runner, tmp_path):
    app = make_app(fake_runner, probe=None, halfcell_previews=True, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("x")
        form = app.screen
        assert isinstance(form, FormScreen) and form.kind.name == "texture"
        assert form.query_one("#field-seamless", Switch).value
        assert form.query_one("#field-size", Input).value == "256"
        assert form.query_one("#field-out", Input).value == str(tmp_path / "texture-1.png")
        await pilot.press("ctrl+s")
        await pilot.pause()
        kind, config, _ = fake_runner.submitted[-1]
        assert kind == "texture" and config["seamless"] and config["size"] == 256
        assert [path.rsplit("/", 1)[-1] for path in config["styles"]] == ["starry_night.jpg"]
        assert config["out"] == str(tmp_path / "texture-1.png")


@pytest.mark.slow
def test_the_forms_start_from_the_shared_settings_the_studio_was_given(fake_runner, tmp_path, monkeypatch):
    """``artgen --backend ...`` and ``$ARTGEN_MAX_PIXELS`` reach a job as settings of its config."""
    monkeypatch.chdir(tmp_path)
    asyncio.run(_shared_settings(fake_runner))


async def _shared_settings(fake_runner):
    settings = {"backend": "tensorflow", "max_pixels": 3_000_000}
    app = make_app(
        fake_runner, probe=None, halfcell_previews=True, clock=lambda: FIXED_NOW, settings=settings
    )
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("x")
        form = app.screen
        assert form.query_one("#field-max_pixels", Input).value == "3000000"
        assert form.query_one("#field-backend", Select).value == "tensorflow"
        form.query_one("#field-max_pixels", Input).value = "5"
        await pilot.pause()
        assert "must be between 1000000 and 2000000000, not 5" in str(
            form.query_one("#note-max_pixels").render()
        )
        form.query_one("#field-max_pixels", Input).value = "4e6"  # as --max-pixels takes it
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        kind, config, _ = fake_runner.submitted[-1]
        assert kind == "texture" and (config["backend"], config["max_pixels"]) == ("tensorflow", 4_000_000)

"""The texture job in the studio: its form comes from TextureConfig and starts with one key."""

from __future__ import annotations

import asyncio

from conftest import FIXED_NOW
from textual.widgets import Input, Switch

from artgen.tui.app import make_app
from artgen.tui.screens.form import FormScreen


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

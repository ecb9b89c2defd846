"""The studio's walk form takes a music track: a field from WalkConfig's ``audio``, checked as you type."""

from __future__ import annotations

import asyncio
import wave

import numpy as np
import pytest
from conftest import FIXED_NOW
from textual.widgets import Button, Input

from artgen.tui.app import make_app
from artgen.tui.screens.form import FormScreen


def _wav(path) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(22050)
        out.writeframes(np.zeros(22050, "<i2").tobytes())


@pytest.mark.slow
def test_the_walk_form_takes_a_track_and_an_mp4_for_it(fake_runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _wav(tmp_path / "song.wav")
    (tmp_path / "notes.txt").write_text("not a track\n")
    asyncio.run(_walk_form(fake_runner, tmp_path))


async def _walk_form(fake_runner, tmp_path):
    app = make_app(fake_runner, probe=None, halfcell_previews=True, clock=lambda: FIXED_NOW)
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.press("w")
        form = app.screen
        assert isinstance(form, FormScreen) and form.kind.name == "walk"
        audio = form.query_one("#field-audio", Input)
        assert audio.value == "" and form.query_one("#browse-audio", Button)  # optional, with a picker
        assert "a music track (.wav, .mp3, .flac, .ogg)" in str(form.query_one("#note-audio").render())
        start = form.query_one("#start", Button)

        audio.value = str(tmp_path / "missing.wav")
        await pilot.pause()
        assert form.errors["audio"] == f"no file {tmp_path / 'missing.wav'}" and start.disabled
        audio.value = str(tmp_path / "notes.txt")
        await pilot.pause()
        assert form.errors["audio"].startswith("notes.txt is not a music track (.flac, .mp3, .ogg, .wav)")
        out = form.query_one("#field-out", Input)
        assert out.value == str(tmp_path / "walk-1.gif")
        audio.value = str(tmp_path / "song.wav")
        await pilot.pause()
        assert out.value == str(tmp_path / "walk-1.mp4") and not start.disabled  # the suggestion follows
        audio.value = ""
        await pilot.pause()
        assert out.value == str(tmp_path / "walk-1.gif")

        out.value = str(tmp_path / "song.gif")  # the user's own name is theirs: checked, never changed
        audio.value = str(tmp_path / "song.wav")
        await pilot.pause()
        assert out.value == str(tmp_path / "song.gif") and start.disabled
        assert form.errors["audio"] == "audio plays only in an .mp4; name the output song.mp4, not song.gif"
        out.value = str(tmp_path / "song.mp4")
        await pilot.pause()
        assert not start.disabled
        await pilot.press("ctrl+s")
        await pilot.pause()
        kind, config, _ = fake_runner.submitted[-1]
        assert kind == "walk" and config["audio"] == str(tmp_path / "song.wav")
        assert config["out"] == str(tmp_path / "song.mp4") and config["reactivity"] == 0.9

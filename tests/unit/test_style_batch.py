"""A folder of photos as CONTENT: each painted, failures reported, targets shared, nothing taken over."""

from __future__ import annotations

import json
import pickle
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artgen.cli import main
from artgen.events import Progress
from artgen.style import StyleConfig

FAST = ["--size", "32", "--iterations", "2", "--scales", "1"]


@pytest.fixture()
def album(tmp_path) -> tuple[Path, str]:
    """``album/`` with two photos at the top, one in a sub-folder and one unreadable file; and a painting."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "album"
    (folder / "trip").mkdir(parents=True)
    for path, shape in (("a.png", (30, 40, 3)), ("b.jpg", (40, 30, 3)), ("trip/c.png", (32, 32, 3))):
        Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8)).save(folder / path)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    painting = tmp_path / "paint.png"
    Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(painting)
    return folder, str(painting)


@pytest.mark.slow
def test_a_batch_paints_the_others_and_reports_the_unreadable_one(album, tmp_path, monkeypatch, capsys):
    folder, painting = album
    monkeypatch.chdir(tmp_path)
    assert main(["style", str(folder), painting, *FAST]) == 1  # some failed, the rest written
    out = tmp_path / "album_paint"
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.png"))
    assert written == ["a.png", "b.png", "trip/c.png"]
    for path in written:
        with Image.open(out / path) as im:
            assert max(im.size) == 32
    report = json.loads((out / "batch.json").read_text())
    assert report["photos"] == 4 and not report["stopped"]
    assert [Path(item["photo"]).name for item in report["written"]] == ["a.png", "b.jpg", "c.png"]
    assert [(Path(item["photo"]).name, item["reason"]) for item in report["failed"]] == [
        ("broken.jpg", "not an image")
    ]
    shown = capsys.readouterr()
    assert "broken.jpg skipped: not an image" in shown.err
    assert "wrote 3 of 4 photos" in shown.out and "failed 1: broken.jpg (not an image)" in shown.out


@pytest.mark.slow
def test_a_batch_computes_the_style_targets_once(album, tmp_path, monkeypatch):
    from artgen.style import batch, engine, transfer

    folder, painting = album
    (folder / "broken.jpg").unlink()
    calls = []
    real = engine.style_grams
    monkeypatch.setattr(engine, "style_grams", lambda *args: calls.append(1) or real(*args))
    config = StyleConfig.tiny(
        str(folder), painting, size=64, scales=2, iterations=1, out=str(tmp_path / "out")
    )
    progress = []
    result = batch.paint_folder(config, progress.append, lambda: False)
    assert len(result.written) == 3 and not result.failed
    assert len(calls) == 2  # once per scale (32 and 64 px), not per photo
    steps = [event for event in progress if isinstance(event, Progress)]
    assert steps[-1].step == steps[-1].total == 3 * 2  # iterations counted over the whole batch
    assert steps[-1].stage.startswith("photo 3/3 c.png")
    alone = transfer(replace(config, content=str(folder / "b.jpg"), out=str(tmp_path / "b-alone.png")))
    with Image.open(alone.out) as one, Image.open(tmp_path / "out" / "b.png") as shared:
        assert np.array_equal(np.asarray(one), np.asarray(shared))  # shared targets, the same picture


def test_ctrl_c_stops_after_writing_the_current_photo(album, tmp_path):
    from artgen.style import batch

    folder, painting = album
    config = StyleConfig.tiny(str(folder), painting, size=32, iterations=5, out=str(tmp_path / "out"))
    seen = []
    result = batch.paint_folder(config, seen.append, lambda: any(isinstance(e, Progress) for e in seen))
    assert result.stopped and len(result.written) == 1  # a.png, after its first iteration
    assert (tmp_path / "out" / "a.png").is_file() and not (tmp_path / "out" / "b.png").exists()
    assert json.loads((tmp_path / "out" / "batch.json").read_text())["stopped"] is True


@pytest.mark.slow
def test_an_existing_output_folder_is_never_taken_over(album, tmp_path, monkeypatch, capsys):
    folder, painting = album
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "a.png").write_bytes(b"my own picture")
    assert main(["style", str(folder), painting, "-o", str(out), *FAST]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"artgen: error: {out} already has files in it; choose another folder or pass --overwrite"
    )
    assert (out / "a.png").read_bytes() == b"my own picture"
    (tmp_path / "album_paint").mkdir()
    (tmp_path / "album_paint" / "notes.txt").write_text("mine")
    assert main(["style", str(folder), painting, *FAST]) == 1
    assert (tmp_path / "album_paint-2" / "a.png").is_file()  # the default name is numbered instead
    assert main(["style", str(folder), painting, "-o", str(out), *FAST, "--overwrite"]) == 1
    assert (out / "a.png").read_bytes() != b"my own picture"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "out.png"], "is a folder of photos: -o names a folder, not a .png"),
        (["--mask", "nowhere.png"], "--mask nowhere.png: no such file or directory"),
    ],
)
def test_bad_batch_input_is_one_line_and_exit_2(album, tmp_path, monkeypatch, capsys, args, message):
    folder, painting = album
    monkeypatch.chdir(tmp_path)
    assert main(["style", str(folder), painting, *args, *FAST]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("artgen: error: ") and message in err[-1]
    assert not (tmp_path / "album_paint").exists()


def test_a_batch_of_only_unusable_files_is_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "x.png").write_bytes(b"nope")
    (tmp_path / "empty").mkdir()
    painting = tmp_path / "p.png"
    Image.new("RGB", (32, 32), "red").save(painting)
    assert main(["style", "junk", str(painting), *FAST]) == 2
    assert "none of the 1 photos in junk could be painted" in capsys.readouterr().err
    assert main(["style", "empty", str(painting), *FAST]) == 2
    assert "empty has no photos" in capsys.readouterr().err


@pytest.mark.slow
def test_a_batch_runs_as_one_studio_job_with_previews_and_its_outputs(album, tmp_path):
    """The job runner's own call (``execute``, here in-process: a spawned child costs a minute on CI)."""
    from artgen.events import Message, Preview
    from artgen.jobs.kinds import KINDS
    from artgen.jobs.worker import execute

    folder, painting = album
    kind, sent = KINDS["style"], []
    settings = {"content": str(folder), "styles": [painting], "out": str(tmp_path / "out"), "size": 32}
    settings |= {"iterations": 2, "scales": 1, "preview_every": 1}
    execute(kind.engine, kind.config, settings, "cpu", lambda tag, payload: sent.append((tag, payload)), bool)
    (tag, result), events = sent[-1], [payload for tag, payload in sent if tag == "event"]
    assert tag == "result", result
    assert {key: result[key] for key in ("outputs", "stopped")} == {
        "outputs": {"out": str(tmp_path / "out"), "report": str(tmp_path / "out" / "batch.json")},
        "stopped": False,
    }
    assert pickle.loads(result["value"]).written  # the result itself, for a command run on a cluster
    progress = [event for event in events if isinstance(event, Progress)]
    assert progress[-1].step == progress[-1].total == 4 * 2  # the whole batch's iterations
    previews = [event for event in events if isinstance(event, Preview)]
    assert {event.caption.split(":")[0] for event in previews} == {
        "photo 1/4 a.png",
        "photo 2/4 b.jpg",
        "photo 4/4 c.png",
    }
    assert all(Path(event.path).suffix == ".png" for event in previews)
    assert any("broken.jpg skipped: not an image" in e.text for e in events if isinstance(e, Message))

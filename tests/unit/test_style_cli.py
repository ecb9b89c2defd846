"""``artgen style``: writes the picture, never overwrites silently, refuses bad input in one line."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from artgen.cli import main
from artgen.style import StyleConfig


@pytest.fixture()
def pair(tmp_path) -> tuple[str, str]:
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (40, 50, 3), dtype=np.uint8)).save(tmp_path / "photo.png")
    Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(tmp_path / "paint.jpg")
    return str(tmp_path / "photo.png"), str(tmp_path / "paint.jpg")


FAST = ["--size", "32", "--iterations", "2", "--scales", "1"]


@pytest.mark.slow
def test_writes_the_file_and_refuses_to_overwrite_it(pair, tmp_path, capsys):
    out = tmp_path / "out.png"
    assert main(["style", *pair, "-o", str(out), *FAST]) == 0
    with Image.open(out) as written:
        assert written.size == (32, 26)
    before = out.read_bytes()
    capsys.readouterr()
    assert main(["style", *pair, "-o", str(out), *FAST, "--tv-weight", "5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"artgen: error: {out} exists; pass --overwrite to replace it"
    assert out.read_bytes() == before
    assert main(["style", *pair, "-o", str(out), *FAST, "--overwrite", "--init", "noise"]) == 0
    assert out.read_bytes() != before


def test_default_name_is_content_and_style_numbered_when_taken(tmp_path, monkeypatch):
    from artgen.style.pictures import default_out

    monkeypatch.chdir(tmp_path)
    config = StyleConfig("in/photo.jpg", ("a/starry.jpg", "b/wave.png"))
    with default_out(config) as first:
        assert first == tmp_path / "photo_starry+wave.png"
        with default_out(config) as second:  # held by the first: two runs at once take two names
            assert second == tmp_path / "photo_starry+wave-2.png"
    assert not first.exists() and not second.exists()  # nothing written: the placeholders are gone
    (tmp_path / "photo_starry+wave.png").write_bytes(b"mine")
    with default_out(config) as taken:
        assert taken == tmp_path / "photo_starry+wave-2.png"
    assert (tmp_path / "photo_starry+wave.png").read_bytes() == b"mine"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jpg", "{style}"], "missing.jpg: no such file or directory"),
        (["{content}", "{style}", "--style-blend", "1,2"], "--style-blend has 2 weights for 1 style images"),
        (["{content}", "{style}", "-o", "out.jpg"], "-o must name a .png file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(pair, tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    content, style = pair
    argv = [arg.format(content=content, style=style) for arg in args]
    assert main(["style", *argv, *FAST]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("artgen: error: ") and message in err[-1]


def test_help_and_cli_import_leave_tensorflow_unloaded():
    code = (
        "import sys, contextlib, io\n"
        "from artgen.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):\n"
        "    main(['style', '--help'])\n"
        "assert 'Examples:' in out.getvalue()\n"
        "import artgen.style\n"
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"

"""Walks through chosen latents: ``--keyframes FILE``, ``--keyframe-images``, ``--save-latents``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artgen.cli import build_parser, main
from artgen.generators.latents_file import read_latents, write_latents
from artgen.walk.path import KeyframePath


def _frames(folder: Path) -> np.ndarray:
    return np.stack([np.asarray(Image.open(p)) for p in sorted(folder.iterdir())])


def _keys(count: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((count, 8)).astype(np.float32)


def test_the_path_is_at_each_keyframe_at_its_phase_and_loops():
    keys = _keys(6, 0).reshape(2, 3, 8)  # two walks of three
    for ease in ("linear", "smooth"):
        path = KeyframePath(keys, "slerp", ease)
        at = path(np.array([0, 1 / 3, 2 / 3, 1.0, 7 / 21]))
        assert at.shape == (5, 2, 8)
        for k in range(3):
            assert np.array_equal(at[k], keys[:, k])  # exactly, not nearly: the frame shows the keyframe
        assert np.array_equal(at[3], keys[:, 0]) and np.array_equal(at[4], keys[:, 1])
    between = KeyframePath(keys)(np.array([1 / 6]))[0, 0]
    assert not np.allclose(between, keys[0, 0]) and not np.allclose(between, keys[0, 1])


def test_frames_at_keyframe_phases_are_the_keyframes_as_sample_draws_them(tiny_generator, tmp_path):
    keys = tmp_path / "keys.npz"
    write_latents(keys, _keys(3, 1), tiny_generator, ["a", "b", "c"])
    model = str(tiny_generator)
    walk = tmp_path / "walk"
    assert main(["walk", "--model", model, "--frames", "12", str(walk), "--keyframes", str(keys)]) == 0
    drawn = tmp_path / "drawn"
    assert main(["sample", "--model", model, "--latents", str(keys), "--separate", str(drawn)]) == 0
    frames, pictures = _frames(walk), _frames(drawn)
    assert frames.shape == (12, 32, 32, 3) and pictures.shape == (3, 32, 32, 3)
    for k in range(3):
        assert np.abs(frames[4 * k].astype(int) - pictures[k]).max() <= 1  # one graph or another: rounding
    assert np.abs(frames[2].astype(int) - pictures[0]).mean() > 2  # between keyframes it is neither


def test_saved_keyframes_walk_again_as_the_same_walk_even_in_a_grid(tiny_generator, tmp_path, capsys):
    model = str(tiny_generator)
    common = ["walk", "--model", model, "--frames", "8", "--grid", "1x2"]
    assert (
        main(
            [
                *common,
                "--seed",
                "3",
                "--keyframes",
                "3",
                "--save-latents",
                str(tmp_path / "k.npz"),
                str(tmp_path / "a"),
            ]
        )
        == 0
    )
    saved = read_latents(tmp_path / "k.npz", tiny_generator)
    assert saved.latents.shape == (6, 8) and saved.names[0] == "seed 3 keyframe 0"
    assert main([*common, "--keyframes", str(tmp_path / "k.npz"), str(tmp_path / "b")]) == 0
    assert np.array_equal(_frames(tmp_path / "a"), _frames(tmp_path / "b"))
    # edited: reversed, then walked at another size; saved again, the file is the edit
    reverse = tmp_path / "reversed.npz"
    write_latents(reverse, saved.latents.reshape(2, 3, 8)[:, ::-1].reshape(6, 8), tiny_generator, saved.names)
    argv = [*common, "--size", "64", "--keyframes", str(reverse), "--save-latents", str(tmp_path / "r.npz")]
    assert main([*argv, str(tmp_path / "c")]) == 0
    assert _frames(tmp_path / "c").shape == (8, 68, 134, 3)
    assert np.array_equal(
        read_latents(tmp_path / "r.npz", tiny_generator).latents,
        read_latents(reverse, tiny_generator).latents,
    )
    capsys.readouterr()
    assert main([*common, "--keyframes", str(tmp_path / "k.npz"), str(reverse), str(tmp_path / "d")]) == 0
    assert _frames(tmp_path / "d").shape[0] == 8  # two files in order: six keyframes a walk


@pytest.mark.slow
def test_keyframe_images_are_found_and_visited(tiny_generator, tmp_path):
    from artgen.generators import sampling

    generator = sampling.load_generator(tiny_generator)
    paths = []
    for index, picture in enumerate(sampling.generate(generator, _keys(2, 7))):
        paths.append(tmp_path / f"p{index}.png")
        Image.fromarray(picture).save(paths[-1])
    out, keys = tmp_path / "walk", tmp_path / "found.npz"
    argv = ["walk", "--model", str(tiny_generator), "--frames", "6", str(out), "--save-latents", str(keys)]
    assert main([*argv, "--keyframe-images", *map(str, paths)]) == 0
    found = read_latents(keys, tiny_generator)
    assert found.names == ("p0.png", "p1.png")
    frames = _frames(out)
    for k, path in enumerate(paths):
        assert np.abs(frames[3 * k].astype(int) - np.asarray(Image.open(path))).mean() < 20


def test_bad_keyframes_are_one_line_exit_2_and_nothing_written(tiny_generator, tmp_path, capsys):
    model = str(tiny_generator)
    other = tmp_path / "other.keras"
    other.write_bytes(b"another generator's file")
    write_latents(tmp_path / "other.npz", _keys(3, 0), other, ["a", "b", "c"])
    write_latents(tmp_path / "three.npz", _keys(3, 0), model, ["a", "b", "c"])
    write_latents(tmp_path / "one.npz", _keys(1, 0), model, ["a"])
    write_latents(tmp_path / "wide.npz", np.ones((3, 4), np.float32), model, ["a", "b", "c"])
    (tmp_path / "notes.txt").write_text("notes\n")
    (tmp_path / "cut.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    cases = {
        "other.npz": "was made with another generator (other.keras, not tiny.keras)",
        "notes.txt": "not an artgen latents file",
        "one.npz": "gives 1 keyframe; a walk needs at least 2",
        "wide.npz": "holds 4-long latents; the generator takes 8",
        "three.npz --grid 1x2": "gives 3 keyframes for 2 walks (--grid)",
    }
    before = sorted(p.name for p in tmp_path.iterdir())
    for given, message in cases.items():
        name, *more = given.split()
        argv = ["walk", "--model", model, "--frames", "4", str(tmp_path / "w.gif"), *more]
        argv += ["--save-latents", str(tmp_path / "s.npz"), "--keyframes", str(tmp_path / name)]
        capsys.readouterr()
        assert main(argv) == 2, given
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], (given, err)
    for pictures, message in (
        (["cut.png", "cut.png"], "--keyframe-images "),
        (["notes.txt", "cut.png"], "--keyframe-images "),
    ):
        argv = ["walk", "--model", model, str(tmp_path / "w.gif"), "--keyframe-images"]
        assert main(argv + [str(tmp_path / p) for p in pictures]) == 2
        assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_list_option_gives_back_the_output_it_took():
    parser = build_parser()
    args = parser.parse_args(["walk", "--keyframes", "a.npz", "b.npz", "out.gif"])
    assert args.keyframes == ("a.npz", "b.npz") and args.out == "out.gif"
    args = parser.parse_args(["walk", "--keyframes", "6", "out.gif"])
    assert args.keyframes == 6 and args.out == "out.gif"
    args = parser.parse_args(["walk", "out.gif", "--keyframe-images", "a.png", "b.png", "--seed", "2"])
    assert args.keyframe_images == ("a.png", "b.png") and args.out == "out.gif"
    args = parser.parse_args(["walk", "--keyframe-images", "a.png,b.png", "c.png", "--", "o.gif"])
    assert args.keyframe_images == ("a.png", "b.png", "c.png") and args.out == "o.gif"

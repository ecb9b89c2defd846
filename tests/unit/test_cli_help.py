"""Each engine command's --help says what it costs, in figures that docs/benchmarks.md measured."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from artgen.cli import main

BENCHMARKS = (Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md").read_text()
ENGINES = [
    ["train"],
    ["sample"],
    ["walk"],
    ["project"],
    ["eval"],
    ["style"],
    ["texture"],
    ["toy"],
    ["classify", "train"],
]


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    return " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("argv", ENGINES, ids=" ".join)
def test_each_engine_command_says_what_it_costs(argv, capsys) -> None:
    text = _help(argv, capsys)
    cost = re.search(r"Cost[ ,:].*?(?=Examples:|options:|$)", text)
    assert cost is not None and "docs/benchmarks.md" in cost.group(0), text[:300]
    assert "CPU" in cost.group(0) and "GPU" in cost.group(0)  # a GPU figure, or that none was measured


@pytest.mark.parametrize(
    ("argv", "said", "measured"),
    [
        (
            ["texture"],
            "53 s on an idle 2-core CPU (91 CPU-s, 46 per core)",
            "| **53.4 s** | 91.4 s | 45.7 s |",
        ),
        (["toy"], "about 12 s with the defaults on a 2-core CPU", "12.4 s\nwall, 12.1 CPU-s"),
        (["walk"], "4.4-5.0 s", "| 4.4 to 5.0 s |"),
        (["style"], "78-113 CPU-s with the defaults", "78–113 CPU-s against 199–275"),
        (["eval"], "32.6 CPU-ms an image", "32.6 CPU-ms an image"),
    ],
    ids=["texture", "toy", "walk", "style", "eval"],
)
def test_the_figures_are_the_measured_ones(argv, said, measured, capsys) -> None:
    assert said in _help(argv, capsys)
    assert measured in BENCHMARKS


def test_no_promise_that_did_not_hold(capsys) -> None:
    assert "under a minute" not in _help(["texture"], capsys)
    assert "(about 12 s on a CPU)" in _help([], capsys)  # toy's line in artgen --help

"""``artgen jobs``: past and present jobs of the studio, with their outputs."""

from __future__ import annotations

import argparse
import time

from rich.table import Table

from artgen.cli.common import console, positive_int, result_console
from artgen.errors import InputError

NAME = "jobs"
HELP = "list the studio's jobs and their outputs"
DESCRIPTION = (
    "List the jobs run from the terminal studio (newest first): kind, state, when, how long,\n"
    "and where the outputs are. Give a job id for its settings and log. The history lives in\n"
    "$ARTGEN_DATA_DIR/jobs.sqlite (default ~/.local/share/artgen)."
)
EXAMPLES = (
    "Examples:\n"
    "  artgen jobs                       the 20 newest jobs\n"
    "  artgen jobs -n 100                more of them\n"
    "  artgen jobs 20261123-101500-3f2a  one job's settings, outputs and log"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", nargs="?", metavar="JOB_ID", help="show one job in detail")
    parser.add_argument("-n", "--limit", type=positive_int, default=20, help="jobs to list (default 20)")


def run(args: argparse.Namespace) -> int:
    from artgen.jobs.store import HistoryStore

    store = HistoryStore()
    if store.notice:
        console.print(f"[yellow]{store.notice}[/]", highlight=False)
    if args.job:
        return _show(store, args.job)
    records = store.all(limit=args.limit)
    if not records:
        console.print(f"no jobs yet (history: {store.path}); run 'artgen' to open the studio")
        return 0
    table = Table(box=None, header_style="bold")
    for column in ("id", "kind", "state", "started", "took", "output"):
        table.add_column(column, overflow="fold", no_wrap=column in ("id", "state"))
    for record in records:
        table.add_row(
            record.id,
            record.kind,
            _state(record.state),
            time.strftime("%Y-%m-%d %H:%M", time.localtime(record.started or record.created)),
            _took(record.duration()),
            record.output or (record.error or ""),
        )
    result_console().print(table)
    return 0


def _show(store, job_id: str) -> int:
    record = store.get(job_id)
    if record is None:
        raise InputError(f"no job {job_id}; 'artgen jobs' lists them")
    console = result_console()  # a job's details are this command's result: stdout
    took = _took(record.duration())
    console.print(f"[bold]{record.id}[/]  {record.kind}  {_state(record.state)}  took {took}")
    if record.error:
        console.print(f"error: {record.error}", highlight=False)
    for name, path in record.outputs.items():
        console.print(f"{name}: {path}", highlight=False)
    console.print("settings:")
    for key, value in sorted(record.config.items()):
        console.print(f"  {key} = {value!r}", highlight=False)
    lines = store.log(job_id)
    if lines:
        console.print("log:")
        for level, text in lines:
            console.print(f"  [{'yellow' if level == 'warning' else 'dim'}]{text}[/]", highlight=False)
    return 0


def _state(state: str) -> str:
    colours = {"done": "green", "failed": "red", "cancelled": "yellow", "running": "cyan", "stopping": "cyan"}
    colour = colours.get(state, "white")
    return f"[{colour}]{state}[/]"


def _took(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"

"""Help: every key, and where everything lives."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from artgen.jobs import data_dir, kinds

__all__ = ["HelpScreen"]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        actions = "\n".join(
            f"| `{kind.key}` | {kind.title}: {kind.description} |" for kind in kinds.KINDS.values()
        )
        text = f"""\
# artgen studio

| key | action |
| --- | --- |
{actions}
| `j` | the job list |
| `?` | this help |
| `ctrl+p` | command palette: every action by name |
| `ctrl+t` | dark / light theme |
| `escape` | back |
| `q` | quit (running jobs stop at their next step and checkpoint) |

**In a form**: `tab` moves between options, `ctrl+s` starts the job, `ctrl+o` browses for
the focused path. Errors show under each option as you type.

**In a job or the job list**: `c` cancel (graceful, then forced after a timeout), `r` resume
a stopped training run, `e` re-run with the same settings (into the next free output name),
`o` open the output folder. Cancelling a job run from a shell asks that command to stop, as
Ctrl-C would.

**A job that failed** says why at the top of its view: the error, where its traceback
was kept, and the `artgen` command that runs it from a shell.

Every job runs in its own process; the history is kept in `{data_dir()}/jobs.sqlite` and
`artgen jobs` lists it from the shell. Runs started in a shell (`artgen train`, `artgen walk`
...) and in other studios show up here within a second or two; a job whose process is gone
reads as interrupted. `artgen serve` opens the studio in a web browser.
"""
        with VerticalScroll(id="help"):
            yield Markdown(text)

"""Help: every key, read from the bindings that define it, and where everything lives."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from artgen.jobs import data_dir, kinds
from artgen.tui.screens.form import FormScreen
from artgen.tui.screens.jobs import JOB_BINDINGS

__all__ = ["HelpScreen"]

KEY_NAMES = {"question_mark": "?"}


def key_table(bindings: Iterable[BindingType]) -> str:
    """A Markdown table of ``bindings``, one row per binding, its keys as the user presses them."""
    rows = ["| key | action |", "| --- | --- |"]
    for binding in bindings:
        key, description = (
            (binding.key, binding.description) if isinstance(binding, Binding) else binding[::2]
        )
        keys = ", ".join(f"`{KEY_NAMES.get(name.strip(), name.strip())}`" for name in key.split(","))
        rows.append(f"| {keys} | {description} |")
    return "\n".join(rows)


class HelpScreen(ModalScreen[None]):
    """Built with the app's own bindings, so the page lists exactly the keys that work."""

    BINDINGS = [("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, app_bindings: Iterable[BindingType]) -> None:
        super().__init__()
        self.app_bindings = list(app_bindings)

    def compose(self) -> ComposeResult:
        engines = "\n".join(
            f"| `{kind.key}` | {kind.title}: {kind.description} |" for kind in kinds.KINDS.values()
        )
        text = f"""\
# artgen studio

| key | a new job |
| --- | --- |
{engines}

Everywhere:

{key_table([*self.app_bindings, ("ctrl+p", "command_palette", "command palette: every action by name")])}

**In a form** (`tab` moves between options; errors show under each option as you type):

{key_table(FormScreen.BINDINGS)}

**In a job or the job list** (cancel is graceful, then forced after a timeout; re-run takes
the next free output name; cancelling a job run from a shell asks that command to stop, as
Ctrl-C would):

{key_table(JOB_BINDINGS)}

**A job that failed** says why at the top of its view: the error, where its traceback
was kept, and the `artgen` command that runs it from a shell.

Every job runs in its own process; the history is kept in `{data_dir()}/jobs.sqlite` and
`artgen jobs` lists it from the shell. Runs started in a shell (`artgen train`, `artgen walk`
...) and in other studios show up here within a second or two; a job whose process is gone
reads as interrupted. `artgen serve` opens the studio in a web browser.
"""
        with VerticalScroll(id="help"):
            yield Markdown(text)

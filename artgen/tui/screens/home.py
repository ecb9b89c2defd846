"""Home: the device, one key per action, and the most recent jobs."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Label, Static

from artgen.events import Event
from artgen.jobs import DeviceInfo, JobRecord, kinds
from artgen.tui.screens.base import JobView
from artgen.tui.widgets.footer import KeysFooter
from artgen.tui.widgets.job_table import JobTable

__all__ = ["HomeScreen", "home_screen"]

RECENT = 6
DEVICE_REDRAW = 2.0  # seconds


def device_text(devices: DeviceInfo | None, holders: dict[int, str]) -> Text | str:
    """One line per GPU: name, memory, utilisation and the job that holds it; or the CPU alone."""
    if devices is None:
        return "probing devices…"
    if not devices.gpus:
        return f"Device: {devices.summary()}"
    text = Text()
    for gpu in devices.gpus:
        text.append("\n" if text else "")
        text.append(gpu.describe())
        holder = holders.get(gpu.index)
        text.append(f"  job {holder}" if holder else "  free", style="bold cyan" if holder else "green")
    return text


def home_screen() -> HomeScreen:
    """Home with one key per job kind registered now (tests register fakes at run time).

    Textual reads a screen's keys from its class's ``BINDINGS``, so the keys go on a subclass
    made here rather than into the screen's private binding map.
    """
    keys = [
        # The screen lists every kind with its key; the footer keeps its width for the keys of every screen.
        Binding(kind.key, f"app.new('{kind.name}')", kind.name.capitalize(), show=False)
        for kind in kinds.KINDS.values()
    ]
    return type("HomeScreen", (HomeScreen,), {"BINDINGS": keys})()


class HomeScreen(JobView):
    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Label("probing devices…", id="device")
            yield Static(self._actions(), id="actions")
            yield Label("Recent jobs", classes="section")
            yield JobTable(limit=RECENT, id="recent")
        yield KeysFooter()

    def _actions(self) -> Text:
        text = Text()
        for kind in kinds.KINDS.values():
            text.append(f" {kind.key} ", style="bold reverse")
            text.append(f" {kind.title:<22}", style="bold")
            text.append(f"{kind.description}\n")
        text.append(" j ", style="bold reverse")
        text.append(f" {'Jobs':<22}every job: cancel, resume, re-run, open output\n")
        text.append(" ? ", style="bold reverse")
        text.append(f" {'Help':<22}keys and what they do; ctrl+p finds any action")
        return text

    def on_screen_resume(self) -> None:
        self.refresh_jobs()

    def on_mount(self) -> None:
        self.show_devices()
        self.refresh_jobs()
        # Memory, utilisation and holders change while jobs run; the runner's monitor thread
        # keeps its device facts fresh, so redrawing them here reads memory, never the driver.
        self.set_interval(DEVICE_REDRAW, self.show_devices)

    def show_devices(self) -> None:
        runner = self.app.runner
        if runner.runs_on:  # a cluster's devices are the cluster's business
            self.query_one("#device", Label).update(f"Jobs run on the {runner.runs_on}")
            return
        devices = None if self.app.devices is None else runner.devices  # the runner's are live
        self.query_one("#device", Label).update(device_text(devices, runner.gpu_jobs()))

    def refresh_jobs(self) -> None:
        self.query_one(JobTable).show(self.app.runner.jobs(), self.app.now())

    def job_changed(self, record: JobRecord, event: Event | None) -> None:
        table = self.query_one(JobTable)
        if record.id in table.rows and event is not None:
            table.update_record(record, self.app.now())
        else:
            self.refresh_jobs()

    @property
    def selected_job(self) -> str | None:
        return self.query_one(JobTable).selected_id

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.app.open_job(str(event.row_key.value))

"""The studio app: screens, bindings, and the bridge from the job runner's thread.

``make_app`` builds it around a runner so tests can pass a fake one;
``main`` builds the real one (history in the user's data directory) and
stops running jobs gracefully on the way out.
"""

from __future__ import annotations

import contextlib
import gc
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen

from artgen.errors import ArtgenError, InputError
from artgen.jobs import DeviceInfo, HistoryStore, JobRecord, Runner, kinds, probe_devices
from artgen.jobs.executors import Executor
from artgen.jobs.owners import this_process
from artgen.jobs.preview import Painter, PreviewWorker
from artgen.tui.messages import DevicesFound, JobChanged
from artgen.tui.runner import StudioRunner
from artgen.tui.screens.base import JobView
from artgen.tui.screens.form import FormScreen
from artgen.tui.screens.help import HelpScreen
from artgen.tui.screens.home import HomeScreen, home_screen
from artgen.tui.screens.job import JobScreen
from artgen.tui.screens.jobs import JobsScreen
from artgen.tui.screens.style_form import StyleFormScreen

__all__ = ["ArtgenApp", "make_app", "main"]


class ArtgenApp(App[int]):
    CSS_PATH = "artgen.tcss"
    TITLE = "artgen studio"
    BINDINGS = [
        Binding("j", "jobs", "Jobs"),
        Binding("question_mark", "help", "Help"),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False),  # in the help and the palette
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        runner: StudioRunner,
        *,
        probe: Callable[[], DeviceInfo] | None = probe_devices,
        halfcell_previews: bool = False,
        clock: Callable[[], float] = time.time,
        preview_worker: Callable[[], Painter] = PreviewWorker,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.runner = runner
        # The settings every engine shares, as the command line gave them (--backend, $KERAS_BACKEND):
        # each form starts from them, and the config of each job it starts holds them.
        self.settings = dict(settings or {})
        self.probe = probe
        self.devices: DeviceInfo | None = None if probe else runner.devices
        self.halfcell_previews = halfcell_previews
        self.now = clock
        self._new_painter = preview_worker
        self._painter: Painter | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def on_mount(self) -> None:
        self._unsubscribe = self.runner.subscribe(lambda update: self.post_message(JobChanged(update)))
        # Screens are composed once and kept: opening one is then a redraw, not a rebuild, and no
        # closed screen is left behind (Textual's Header watches the app's title and is only let
        # go when the title changes, so every discarded screen stayed in memory with its widgets).
        self.install_screen(JobsScreen(), name="jobs")
        self.install_screen(JobScreen(), name="job")
        self.install_screen(HelpScreen(self.BINDINGS), name="help")
        self.push_screen(home_screen())
        if notice := self.runner.notice:
            self.notify(notice, severity="warning", timeout=20)  # a damaged history was moved aside
        if self.probe is not None:
            self.run_worker(self._probe_devices, thread=True, exit_on_error=False)
        self.call_after_refresh(_freeze_startup_objects)

    def on_unmount(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
        if self._painter is not None:
            self._painter.close()

    def preview_painter(self) -> Painter:
        """The style form's preview worker, made on first use (its process starts on its first request)."""
        if self._painter is None:
            self._painter = self._new_painter()
        return self._painter

    def _probe_devices(self) -> None:
        """nvidia-smi can take a second on a cold GPU: never on the event loop."""
        self.post_message(DevicesFound(self.probe()))

    def on_devices_found(self, message: DevicesFound) -> None:
        self.devices = self.runner.devices = message.devices
        for screen in self.screen_stack:
            if isinstance(screen, HomeScreen):
                screen.show_devices()

    def on_job_changed(self, message: JobChanged) -> None:
        """Only the visible screen redraws; the others refresh when they come back."""
        if not self.screen_stack:  # the app is closing and a last update came in
            return
        if not isinstance(self.screen, JobView):
            return
        with contextlib.suppress(NoMatches):  # a screen still composing reads the runner when it mounts
            self.screen.job_changed(message.record, message.event)

    # -- navigation ----------------------------------------------------------------------------------

    def action_new(self, kind_name: str) -> None:
        kind = kinds.KINDS.get(kind_name)
        if kind is None:
            self.notify(f"no job kind {kind_name}", severity="warning")
            return
        name = f"form-{kind.name}"
        if not self.is_screen_installed(name):  # kept, so a form reopens with what was typed in it
            form = StyleFormScreen if kind.name == "style" else FormScreen
            self.install_screen(form(kind, self.settings), name=name)
        self._show(name)

    def action_jobs(self) -> None:
        self._show("jobs")

    def _show(self, name: str, replace: bool = False) -> None:
        """Bring an installed screen up: back down to it if it is open beneath, else on top."""
        screen = self.get_screen(name)
        if screen in self.screen_stack:
            while self.screen is not screen:
                self.pop_screen()
        elif replace:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def action_help(self) -> None:
        self.push_screen("help")

    def action_back(self) -> None:
        if len(self.screen_stack) > 2:
            self.pop_screen()

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def open_job(self, job_id: str, replace: bool = False) -> None:
        """Show one job's live view; ``replace`` puts it in place of the current screen (a form)."""
        screen = self.get_screen("job")
        assert isinstance(screen, JobScreen)
        screen.show_job(job_id)
        self._show("job", replace)

    # -- job actions (on the job the current screen points at) ---------------------------------------

    def _selected(self) -> str | None:
        job_id = self.screen.selected_job if isinstance(self.screen, JobView) else None
        if job_id is None:
            self.notify("no job selected", severity="warning")
        return job_id

    def action_cancel_job(self) -> None:
        if (job_id := self._selected()) is None:
            return
        record = self.runner.get(job_id)
        if not record.active:
            self.notify(f"job {job_id} is already {record.state}")
            return
        try:
            self.runner.cancel(job_id)
        except ArtgenError as exc:  # a job another studio runs, or one whose process just ended
            self.notify(str(exc), severity="warning")
            return
        self.notify(f"cancelling {job_id}: it stops at its next step")

    def action_resume_job(self) -> None:
        self._start_from(self.runner.resume)

    def action_rerun_job(self) -> None:
        self._start_from(self.runner.rerun)

    def _start_from(self, start: Callable[[str], JobRecord]) -> None:
        if (job_id := self._selected()) is None:
            return
        try:
            record = start(job_id)
        except ArtgenError as exc:
            self.notify(str(exc), severity="error")
            return
        self.open_job(record.id, replace=isinstance(self.screen, JobScreen))

    def action_open_output(self) -> None:
        if (job_id := self._selected()) is None:
            return
        output = self.runner.get(job_id).output
        if not output:
            self.notify("this job has no output yet", severity="warning")
            return
        folder = Path(output) if Path(output).is_dir() else Path(output).parent
        opener = "open" if sys.platform == "darwin" else shutil.which("xdg-open")
        if opener:
            subprocess.Popen(
                [opener, str(folder)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            self.notify(f"opened {folder}")
        else:  # a server over ssh: no file manager, so hand over the path
            self.copy_to_clipboard(str(folder))
            self.notify(f"{folder} (path copied to the clipboard)")

    # -- command palette -----------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for kind in kinds.KINDS.values():
            yield SystemCommand(
                f"New job: {kind.title}", kind.description, lambda name=kind.name: self.action_new(name)
            )
        yield SystemCommand("Job list", "every job, with cancel, resume, re-run", self.action_jobs)
        yield SystemCommand("Help", "keys and what they do", self.action_help)
        yield SystemCommand(
            "Toggle dark/light theme", "switch between the dark and light themes", self.action_toggle_theme
        )
        if isinstance(screen, JobView) and screen.selected_job:
            yield SystemCommand(
                "Cancel job", "stop the selected job at its next step", self.action_cancel_job
            )
            yield SystemCommand("Resume job", "continue a stopped training run", self.action_resume_job)
            yield SystemCommand("Re-run job", "run again with the same settings", self.action_rerun_job)
            yield SystemCommand("Open output folder", "show the job's outputs", self.action_open_output)


def ray_executor(address: str) -> Executor:
    """Connect to the Ray cluster at ``address`` (seconds: said on stderr before the screen opens)."""
    try:
        from artgen.jobs.ray_executor import RayExecutor
    except ImportError:
        raise InputError("--cluster needs Ray on this machine: pip install 'artgen[cluster]'") from None
    print(f"connecting to the Ray cluster at {address}…", file=sys.stderr)
    return RayExecutor(address)


def _freeze_startup_objects() -> None:
    """Keep the start-up's objects out of the cyclic garbage collector's full passes.

    A full pass walks every object alive, and about half of them are the app's, Rich's,
    NumPy's and Pillow's start-up objects, which live as long as the app: measured
    while a job trains, freezing them cuts full passes from 110-155 ms to 60-110 ms,
    pauses a key press can land in.
    """
    gc.collect()
    gc.freeze()


def make_app(
    runner: StudioRunner | None = None,
    *,
    probe: Callable[[], DeviceInfo] | None = probe_devices,
    halfcell_previews: bool = False,
    clock: Callable[[], float] = time.time,
    preview_worker: Callable[[], Painter] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> ArtgenApp:
    """The app around ``runner`` (a real :class:`Runner` over the user's history by default);
    ``preview_worker`` makes the style form's preview worker (a :class:`PreviewWorker`) when first needed;
    ``settings``: the shared settings the forms start from (the configs' defaults where left out)."""
    if runner is None:
        runner = Runner(HistoryStore(), probe=probe)  # its monitor thread keeps device facts live
    return ArtgenApp(
        runner,
        probe=probe,
        halfcell_previews=halfcell_previews,
        clock=clock,
        preview_worker=preview_worker or PreviewWorker,
        settings=settings,
    )


def main(cluster: str | None = None, settings: Mapping[str, Any] | None = None) -> int:
    """The studio; ``cluster`` (a Ray address) sends its jobs to that cluster instead of this machine;
    ``settings``: the shared settings its forms start from (``--backend``, ``$KERAS_BACKEND``...)."""
    runner = None
    if cluster:
        runner = Runner(HistoryStore(), probe=probe_devices, executor=ray_executor(cluster))
    app = make_app(runner, settings=settings)
    try:
        app.run()
    finally:
        mine = this_process("studio").text()  # other studios' and commands' jobs go on without this one
        running = [
            job for job in app.runner.jobs() if job.owner == mine and job.state in ("running", "stopping")
        ]
        if running:
            print(
                f"stopping {len(running)} running job(s) at their next step (they keep a checkpoint)…",
                file=sys.stderr,
            )
        app.runner.shutdown()
    return app.return_code or 0

"""Messages the app posts to itself from the runner's thread (``post_message`` is thread-safe)."""

from __future__ import annotations

from textual.message import Message

from artgen import events
from artgen.jobs import DeviceInfo, JobRecord, JobUpdate

__all__ = ["JobChanged", "DevicesFound"]


class JobChanged(Message):
    """A job's record changed; ``event`` is what changed it (None for a state change).

    Screens read progress, metrics and previews from the runner when they
    redraw, so a burst of updates for one job may collapse into the newest;
    only log lines (``events.Message``) must each arrive.
    """

    def __init__(self, update: JobUpdate) -> None:
        super().__init__()
        self.record: JobRecord = update.record
        self.event: events.Event | None = update.event

    def can_replace(self, message: Message) -> bool:
        return (
            isinstance(message, JobChanged)
            and message.record.id == self.record.id
            and not isinstance(self.event, events.Message)
        )


class DevicesFound(Message):
    """The device probe (run in a thread at start) has answered."""

    def __init__(self, devices: DeviceInfo) -> None:
        super().__init__()
        self.devices = devices

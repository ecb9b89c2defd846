"""Jobs: engine calls run in child processes, with a queue, cancel/resume and a history.

The studio (``artgen.tui``) and ``artgen jobs`` use this package; it never imports
TensorFlow or Keras itself (only the spawned children do, through the
engines), so the studio starts in well under a second.
"""

from __future__ import annotations

from artgen.jobs.devices import DEVICES, DeviceInfo, Gpu, probe_devices
from artgen.jobs.kinds import KINDS, FieldSpec, JobKind
from artgen.jobs.records import JobRecord, JobState
from artgen.jobs.runner import JobUpdate, Runner
from artgen.jobs.store import HistoryStore, data_dir

__all__ = [
    "DEVICES",
    "DeviceInfo",
    "Gpu",
    "probe_devices",
    "KINDS",
    "FieldSpec",
    "JobKind",
    "JobRecord",
    "JobState",
    "JobUpdate",
    "Runner",
    "HistoryStore",
    "data_dir",
]

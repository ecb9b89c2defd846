"""Hooks run in the app before a job is queued (no engine imports here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from artgen import runs

__all__ = ["fix_run_dir"]


def fix_run_dir(config: dict[str, Any]) -> dict[str, Any]:
    """Choose a training run's directory now, so the job can be resumed even if the app is killed."""
    if not config.get("run_dir"):
        name = Path(config["data_dir"]).resolve().name if config.get("data_dir") else "run"
        config["run_dir"] = str(runs.new_run_dir(config.get("runs_root") or "runs", name))
    return config

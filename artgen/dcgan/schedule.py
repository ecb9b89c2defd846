"""When a run measures its quality (FD/KID): at its end, and in between by a rule.

``--eval-every N`` evaluates every N steps. The default, auto, spaces
evaluations by what they cost: an evaluation (VGG16 features of 256 samples)
costs about as much as 130 train steps at 32 px on a 2-core CPU and a fraction
of one on a GPU, so no one step count suits both. Auto evaluates first a
quarter into the run (at step 2,000 at the latest), then whenever the training
since the last evaluation took at least ``1 / EVAL_SHARE`` times as long as
that evaluation did (so evaluations take about that share of the time), but
never closer together than the first one came; runs shorter than
``AUTO_MIN_STEPS`` evaluate at their end only. Every run with evaluation on
is evaluated at its end, which is what ``generator-best.keras`` and the last
FD/KID row of ``metrics.csv`` come from.
"""

from __future__ import annotations

import time

__all__ = ["EVAL_SHARE", "AUTO_MIN_STEPS", "FIRST_BY", "EvalSchedule", "clock", "describe"]

EVAL_SHARE = 0.1  # auto: evaluations take about this share of the run's time
AUTO_MIN_STEPS = 200  # auto: shorter runs (or resumed parts) evaluate at their end only
FIRST_BY = 2000  # auto: the first evaluation comes a quarter into the run, or at this many steps
clock = time.perf_counter  # a module attribute, so tests can run the schedule on a fake clock


def describe(every: int | None, steps: int) -> str:
    """What a run of ``steps`` (more) steps will do, for the line a run starts with."""
    features = "FD/KID on VGG16 features"
    if every is not None:
        return f"measuring quality ({features}) every {every} steps and at the end"
    if steps < AUTO_MIN_STEPS:
        return f"measuring quality ({features}) at the end"
    first = min(steps // 4, FIRST_BY)
    return (
        f"measuring quality ({features}) after {first} steps, then as often as keeps it near "
        f"{EVAL_SHARE:.0%} of the time (at least {first} steps apart), and at the end"
    )


class EvalSchedule:
    """Says after which steps to evaluate; the final step's evaluation is the loop's own."""

    def __init__(self, every: int | None, start: int, total: int, seconds: float | None = None) -> None:
        """``seconds``: how long the run's last evaluation took, if a resumed run knows it."""
        self.every, self.total = every, total
        self.gap = min((total - start) // 4, FIRST_BY)  # auto: the first evaluation, and the least gap
        self.auto = every is None and total - start >= AUTO_MIN_STEPS
        self.last_step, self.since, self.seconds = start, clock(), seconds

    def due(self, done: int) -> bool:
        if done >= self.total:
            return False
        if self.every is not None:
            return done % self.every == 0
        if not self.auto or done - self.last_step < self.gap:
            return False
        if self.seconds is None:  # the first evaluation of this session, the rule's yardstick
            return True
        return (clock() - self.since) * EVAL_SHARE >= self.seconds

    def evaluated(self, step: int, started: float) -> float:
        """Record an evaluation at ``step`` that began at ``clock()`` = ``started``; returns its seconds."""
        now = clock()
        self.last_step, self.since, self.seconds = step, now, now - started
        return self.seconds

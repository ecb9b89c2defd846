"""The key bar at the bottom of every screen."""

from __future__ import annotations

from textual.widgets import Footer

__all__ = ["KeysFooter"]


class KeysFooter(Footer):
    """Textual's Footer, compact (every screen's keys fit 80 columns), and without its leak.

    Footer rebuilds its keys each time a screen comes back, and each key it builds
    stays on the Footer's watch list for ``compact`` until that value next changes,
    which in this app is never: thousands of dead widgets after a few hundred
    screen changes, and garbage-collector pauses long enough to drop key presses.
    Touching ``compact`` after each rebuild lets Textual drop the dead keys itself.
    """

    def __init__(self) -> None:
        super().__init__(compact=True)

    async def recompose(self) -> None:
        await super().recompose()
        self.mutate_reactive(Footer.compact)

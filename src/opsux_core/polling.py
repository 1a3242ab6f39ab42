"""The progress widget's calm polling cadence, as a pure function.

The numbers (defaults of :class:`PollingCadence`):

- nothing active, or the page hidden -> no polling (``None``): the widget stops, and a hidden page
  resumes on the next visibility change;
- the first 5 polls after something became active -> every 2 s, so a fresh start feels live;
- then each poll waits 1.5x the previous one, capped at 20 s: 3 s, 4.5 s, 6.75 s, ... 20 s.

A long sync therefore costs about 3 requests per minute per open page instead of 30.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PollingCadence:
    initial_seconds: float = 2.0
    fast_polls: int = 5
    backoff_factor: float = 1.5
    max_seconds: float = 20.0

    def __post_init__(self) -> None:
        if self.initial_seconds <= 0 or self.max_seconds < self.initial_seconds:
            raise ValueError("need 0 < initial_seconds <= max_seconds")
        if self.fast_polls < 0 or self.backoff_factor < 1:
            raise ValueError("need fast_polls >= 0 and backoff_factor >= 1")

    def interval(self, active_count: int, poll_number: int = 0, *, page_hidden: bool = False) -> float | None:
        """Seconds until the next poll, or ``None`` to stop polling.

        *poll_number* counts the polls since something became active (0 for the first).
        """
        if page_hidden or active_count <= 0:
            return None
        if poll_number < 0:
            raise ValueError("poll_number must be >= 0")
        slow_steps = poll_number - self.fast_polls + 1
        if slow_steps <= 0:
            return self.initial_seconds
        # Bound the exponent: past the cap the answer no longer changes and 1.5**big overflows.
        delay = self.initial_seconds * self.backoff_factor ** min(slow_steps, 64)
        return round(min(delay, self.max_seconds), 3)


DEFAULT_CADENCE = PollingCadence()


def next_poll_interval(active_count: int, poll_number: int = 0, *, page_hidden: bool = False) -> float | None:
    """:meth:`PollingCadence.interval` with the default numbers."""
    return DEFAULT_CADENCE.interval(active_count, poll_number, page_hidden=page_hidden)

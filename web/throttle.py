"""Login failures are limited per username and per client address (guessing passwords).

A sliding window of failure times per key, in process memory: after `limit` failures
within `window` seconds, further attempts for that key are refused with 429 until the
oldest failure leaves the window. A success clears the username's failures. With
several processes each counts its own, so the effective limit is limit × processes.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

__all__ = ["FailureWindow"]


class FailureWindow:
    def __init__(self, limit: int, window: float, *, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._limit, self._window, self._max_keys = limit, window, max_keys
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, *keys: str) -> float:
        """Seconds until any of these keys may try again; 0 when none is blocked."""
        now = self._clock()
        wait = 0.0
        for key in keys:
            times = self._recent(key, now)
            if times is not None and len(times) >= self._limit:
                wait = max(wait, times[0] + self._window - now)
        return wait

    def failed(self, *keys: str) -> None:
        now = self._clock()
        if len(self._failures) >= self._max_keys:  # a flood of keys: forget the stalest
            self._prune(now)
        for key in keys:
            self._failures.setdefault(key, deque(maxlen=self._limit)).append(now)

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        while times and times[0] <= now - self._window:
            times.popleft()
        if times is not None and not times:
            del self._failures[key]
            return None
        return times

    def _prune(self, now: float) -> None:
        for key in list(self._failures):
            self._recent(key, now)
        if len(self._failures) >= self._max_keys:
            self._failures.clear()

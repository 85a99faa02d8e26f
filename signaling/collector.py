"""Garbage-collector settings for a process holding thousands of sockets.

Measured (docs/protocol.md, Performance): with 2,000 connections CPython's full
collections paused the event loop for tens of milliseconds, which was the whole
relay p99 (123 ms → 11 ms with this). web's `serve` calls it once after start-up.
"""

from __future__ import annotations

import gc

__all__ = ["tune_collector"]


def tune_collector(*, threshold0: int = 50_000) -> None:
    """Freeze what start-up built and collect young objects less often."""
    gc.collect()
    gc.freeze()  # start-up objects (modules, mappers, settings) are never garbage
    _, threshold1, threshold2 = gc.get_threshold()
    gc.set_threshold(threshold0, max(threshold1, 50), max(threshold2, 100))

"""Consent freshness (RFC 7675) of the server's peers: neither too quick nor too slow.

Too quick: aioice 0.13 sends a consent check every ~5 s **without retransmission**, waits
0.5 s for the answer, and closes the connection ("Consent to send expired") after six
checks in a row went unanswered. On a loaded machine (load average 2–22 on 2 cores)
answers take longer than 0.5 s — our event loop or the browser's is busy — and connections
that worked were closed under the recorder (issue 13.2). `install()` replaces
`Connection.query_consent` with what the RFC asks: each check retransmitted
(0.5, 1, 2 s: answered within 3.5 s counts), consent expired only when **nothing** was
answered for 30 s.

Too slow: 30 s during which a participant whose connection is gone (or whose packets no
longer reach us) is not recorded. When the recorder's media timeout fires,
`still_answers` sends one binding request on each nominated pair at once and says
whether it was answered: a frozen camera answers (the connection is fine), a lost
connection does not.

This reaches into aioice 0.13's connection (`_nominated`, `build_request`,
`remote_password`, the pair's STUN protocol — what its own `query_consent` uses): kept
here only, installed only on aioice 0.13 (aiortc is pinned), exercised by
tests/integration/media/test_media_consent.py and the browser test that blocks a server
peer's UDP port (tests/e2e/test_recorder_reconnect.py).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Coroutine
from typing import Any

import aioice
from aioice import ice, stun
from aiortc import RTCPeerConnection

__all__ = ["install", "still_answers", "uninstall"]

logger = logging.getLogger(__name__)
RETRANSMISSIONS = 1  # sent at 0 and 0.5 s, given up at 1.5 s (aioice's RTO doubles)
CHECK_INTERVAL = 5.0  # s, randomised ±20 % as aioice does
CHECK_RETRANSMISSIONS = 2  # sent at 0, 0.5 and 1.5 s; unanswered at 3.5 s
EXPIRY = 30.0  # s without any answer (RFC 7675 §5.1)
_original: Callable[[ice.Connection], Coroutine[Any, Any, None]] | None = None


async def _query_consent(self: ice.Connection) -> None:
    """`aioice.ice.Connection.query_consent`, patient: expired after EXPIRY without answers."""
    assert self.remote_password is not None
    key = self.remote_password.encode("utf8")
    answered = time.monotonic()
    while True:
        await asyncio.sleep(CHECK_INTERVAL * (0.8 + 0.4 * random.random()))
        for pair in list(self._nominated.values()):
            try:
                await pair.protocol.request(
                    self.build_request(pair, nominate=False), pair.remote_addr,
                    integrity_key=key, retransmissions=CHECK_RETRANSMISSIONS)
                answered = time.monotonic()
            except stun.TransactionError:
                pass
        if time.monotonic() - answered >= EXPIRY:
            logger.info("Consent to send expired: nothing answered for %.0f s", EXPIRY)
            self._query_consent_task = None
            await self.close()
            return


def install() -> None:
    """Replace aioice's consent check by the patient one (aioice 0.13 only). Idempotent."""
    global _original
    if ice.Connection.query_consent is _query_consent:
        return
    if not aioice.__version__.startswith("0.13."):
        logger.warning("aioice %s: its own consent check is kept", aioice.__version__)
        return
    _original = ice.Connection.query_consent
    ice.Connection.query_consent = _query_consent  # type: ignore[method-assign]


def uninstall() -> None:
    global _original
    if _original is not None:
        ice.Connection.query_consent = _original  # type: ignore[method-assign,assignment]
        _original = None


def _connection(pc: RTCPeerConnection) -> Any:
    for transceiver in pc.getTransceivers():
        transport = transceiver.receiver.transport
        if transport is not None:
            return transport.transport._connection
    return None


async def still_answers(pc: RTCPeerConnection) -> bool:
    """False only if a consent check went unanswered; True when it cannot tell."""
    try:
        connection = _connection(pc)
        pairs = list(connection._nominated.values()) if connection is not None else []
        password = connection.remote_password if connection is not None else None
    except AttributeError as exc:  # aioice changed shape: never fail a recording for it
        logger.warning("cannot check consent: %s", exc)
        return True
    if not pairs or not password:
        return True
    for pair in pairs:
        try:
            await pair.protocol.request(
                connection.build_request(pair, nominate=False), pair.remote_addr,
                integrity_key=password.encode("utf8"), retransmissions=RETRANSMISSIONS)
        except stun.TransactionError:
            return False
        except (ConnectionError, OSError):  # the socket is gone
            return False
    return True

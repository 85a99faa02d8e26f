"""Is the participant's side of a server peer still there? A consent check asked at once.

aioice checks consent (RFC 7675) every ~5 s and gives up after six unanswered checks:
~30 s during which a participant whose connection is gone (or whose packets no longer
reach us) is not recorded and their page may not notice either. When the recorder's
media timeout fires, `still_answers` sends one binding request on each nominated pair,
as aioice's own consent check does, and says whether it was answered: a frozen camera
answers (the connection is fine), a lost connection does not.

This reaches into aioice 0.13's connection (`_nominated`, `build_request`, the pair's
STUN protocol — what `Connection.query_consent` uses): pinned with aiortc, kept here
only, and exercised by the browser test that blocks a server peer's UDP port
(tests/e2e/test_recorder_reconnect.py).
"""

from __future__ import annotations

import logging
from typing import Any

from aioice import stun
from aiortc import RTCPeerConnection

__all__ = ["still_answers"]

logger = logging.getLogger(__name__)
RETRANSMISSIONS = 1  # sent at 0 and 0.5 s, given up at 1.5 s (aioice's RTO doubles)


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

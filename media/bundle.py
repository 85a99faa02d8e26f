"""Remote candidates of a bundled offer, read where the browser wrote them.

aiortc files each m-section's candidates under the section's transport and keeps the
*last* section it sees for a transport (`iceCandidates[iceTransport] = media` in
`setRemoteDescription`). With BUNDLE every section shares the first one's transport, and
Chromium (max-bundle) writes its candidates in the first section only, so aiortc adds
none of them. On a LAN that goes unnoticed: the browser's checks reach the server's host
candidate and aioice learns the browser's address from them (peer-reflexive). Through
TURN it does not: coturn drops the browser's checks at the server's relay until the
server asks for a permission to the browser's relay, which it does only for candidates
it was given, so the connection never forms.

`add_bundled_candidates` adds, after `setRemoteDescription`, every candidate of the
offer that aiortc skipped, once, to the transport its section uses.
"""

from __future__ import annotations

from aiortc import RTCIceCandidate, RTCPeerConnection
from aiortc.rtcicetransport import RTCIceTransport
from aiortc.sdp import SessionDescription, candidate_to_sdp

__all__ = ["add_bundled_candidates"]


async def add_bundled_candidates(pc: RTCPeerConnection, offer_sdp: str) -> int:
    """Add the offer's candidates aiortc skipped; how many were added."""
    by_mid: dict[str, RTCIceTransport] = {}
    for transceiver in pc.getTransceivers():
        if transceiver.mid is not None and transceiver.receiver.transport is not None:
            by_mid[transceiver.mid] = transceiver.receiver.transport.transport
    # Per transport: every candidate of its sections (first seen wins), and the lines of
    # its last section, which aiortc added itself.
    offered: dict[int, tuple[RTCIceTransport, dict[str, RTCIceCandidate]]] = {}
    added_by_aiortc: dict[int, set[str]] = {}
    for media in SessionDescription.parse(offer_sdp).media:
        transport = by_mid.get(str(media.rtp.muxId))
        if transport is None:
            continue
        _, candidates = offered.setdefault(id(transport), (transport, {}))
        lines = [candidate_to_sdp(c) for c in media.ice_candidates]
        added_by_aiortc[id(transport)] = set(lines)
        for line, candidate in zip(lines, media.ice_candidates, strict=True):
            candidates.setdefault(line, candidate)
    added = 0
    for key, (transport, candidates) in offered.items():
        for line, candidate in candidates.items():
            if line not in added_by_aiortc[key]:
                await transport.addRemoteCandidate(candidate)
                added += 1
    return added

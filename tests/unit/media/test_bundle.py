"""A bundled offer's candidates are read where Chromium writes them: the first section."""

from __future__ import annotations

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from media.bundle import add_bundled_candidates

RELAY = "a=candidate:1 1 udp 16777215 10.9.0.1 40000 typ relay raddr 0.0.0.0 rport 0"


def offer(*, everywhere: bool) -> str:
    lines = ["v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0", "a=group:BUNDLE 0 1 2",
             "a=msid-semantic:WMS *"]
    for mid in range(3):
        lines += [f"m=audio {40000 if mid == 0 else 9} UDP/TLS/RTP/SAVPF 111",
                  "c=IN IP4 10.9.0.1", "a=recvonly", f"a=mid:{mid}", "a=rtcp-mux",
                  "a=rtpmap:111 opus/48000/2", "a=ice-ufrag:abcd",
                  "a=ice-pwd:0123456789abcdef0123456789", "a=setup:actpass",
                  "a=fingerprint:sha-256 " + ":".join(["AB"] * 32)]
        if mid == 0 or everywhere:
            lines.append(RELAY)
    return "\r\n".join(lines) + "\r\n"


async def remote_candidates_after(sdp: str) -> tuple[int, list[str]]:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[],
                                            bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        added = await add_bundled_candidates(pc, sdp)
        transport = pc.getTransceivers()[0].receiver.transport.transport
        return added, [f"{c.host}:{c.port}" for c in transport._connection.remote_candidates]
    finally:
        await pc.close()


async def test_candidates_of_the_first_section_only_reach_the_shared_transport() -> None:
    added, remote = await remote_candidates_after(offer(everywhere=False))
    assert (added, remote) == (1, ["10.9.0.1:40000"])


async def test_candidates_aiortc_added_itself_are_not_added_twice() -> None:
    added, remote = await remote_candidates_after(offer(everywhere=True))
    assert (added, remote) == (0, ["10.9.0.1:40000"])

"""Message validation on the socket hot path: the product's parser (pydantic v2) vs msgspec.

    .venv/bin/python bench/messages.py [--iterations 20000] [--batch 50] [--max-seconds 25]

`signaling.messages.parse` validates each client message with one pydantic model per event
and words pydantic's refusals as the protocol's messages (issue 14, item 5). This measures
what that costs on the four hot-path messages against:
- `model_validate`: the same pydantic models called bare, without `parse`'s payload check
  and refusal wording: what the exact messages cost;
- msgspec (`msgspec.convert(dict, Struct)`, Structs defined here with the same rules):
  what the fastest library would save;
- the hand-written parser the models replaced, loaded from git (`HAND_PARSER_COMMIT`), when
  the checkout has that commit: the before of the change. Without it the column is left out.
All get the dict python-socketio has already decoded from JSON, after the event is looked
up in a table, as `namespace._gate` does; `measure()` (the size check before `parse`) is the
same for all and is timed once beside them for scale.

Messages (event → class): `rtc.offer` → RtcSdp with a ~4 KB Chrome-like offer (audio +
video m-lines), `rtc.candidate` → RtcCandidate, `heartbeat` → Heartbeat, `chat.send` →
ChatSend with a two-line Chinese chat text. One invalid payload each, to time the error
path and to print each variant's error next to the product's exact message.

Method: for every (message, valid/invalid, variant) the call runs in batches of --batch
calls timed with time.perf_counter_ns; batches of the variants are interleaved so that
the machine's drift hits them alike; the figure is the median batch / batch size in ns per
message, and the ratio is to the product's `parse` in the same run. The loop and the
dispatch (a dict lookup and a function call, ~50-100 ns) are in every figure alike.
Before timing, every variant must give the product's values for the valid payloads and
refuse the invalid ones; a few edge probes print where the variants' rules differ.

msgspec cannot express everything the models do: it has no field validators, so the
domain's text rule (hearings/domain/values.py) runs in `__post_init__`, writing the
normalised value back with `msgspec.structs.force_setattr` (the Struct is frozen), and its
error carries no field path; its patterns are Python `re` (`\\Z` where the models' Rust
regex has `$`); its messages are its own ("Expected `int | null`, got `str` - at
`$.sdp_mline_index`"), so the protocol's wording would be a mapping on top, as in `parse`.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import msgspec
from pydantic import BaseModel, ValidationError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hearings.domain.errors import InvalidInput  # noqa: E402
from hearings.domain.values import long_text, text  # noqa: E402
from signaling import messages  # noqa: E402
from signaling.errors import MessageInvalid  # noqa: E402
from signaling.messages import MAX_CANDIDATE, MAX_TEXT  # noqa: E402

# The last commit whose signaling/messages.py parsed by hand (frozen dataclasses).
HAND_PARSER_COMMIT = "4de2420"


def hand_parser() -> ModuleType | None:
    """The hand-written parser as it was, from git; None when the checkout lacks it."""
    try:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{HAND_PARSER_COMMIT}:signaling/messages.py"],
            capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = ModuleType("hand_messages")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{HAND_PARSER_COMMIT}:signaling/messages.py", "exec"), module.__dict__)
    return module


# -- msgspec Structs (convert is strict by default: no bool for numbers, no str for int) --
def _domain(check: Callable[[str], str], value: str) -> str:
    # The domain raises InvalidInput; msgspec turns only ValueError or TypeError from
    # __post_init__ into its ValidationError.
    try:
        return check(value)
    except InvalidInput as exc:
        raise ValueError(exc.message) from None


MId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_:.-]{1,80}\Z")]


class MRtcSdp(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    to: MId
    sdp: Annotated[str, msgspec.Meta(pattern=r"^v=0")]
    ice_restart: bool = False


class MRtcCandidate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    to: MId
    candidate: Annotated[str, msgspec.Meta(max_length=MAX_CANDIDATE,
                                           pattern=r"^(?:(?:a=)?candidate:|\Z)")]
    sdp_mid: str | None = None
    sdp_mline_index: Annotated[int, msgspec.Meta(ge=0, lt=64)] | None = None

    def __post_init__(self) -> None:
        if self.sdp_mid is not None:
            msgspec.structs.force_setattr(self, "sdp_mid", _domain(
                lambda v: text(v, "sdp_mid", max_length=64), self.sdp_mid))


class MHeartbeat(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # NaN fails ge/le and ±inf fails the bounds, as the models' allow_inf_nan=False.
    loss_pct: Annotated[float, msgspec.Meta(ge=0, le=100)]
    rtt_ms: Annotated[float, msgspec.Meta(ge=0, le=60_000)]
    bitrate_kbps: Annotated[float, msgspec.Meta(ge=0, le=1_000_000)]


class MChatSend(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    text: str

    def __post_init__(self) -> None:
        msgspec.structs.force_setattr(self, "text", _domain(
            lambda v: long_text(v, "text", max_length=MAX_TEXT), self.text))


MSGSPEC: dict[str, type[msgspec.Struct]] = {"rtc.offer": MRtcSdp, "rtc.candidate": MRtcCandidate,
                                            "heartbeat": MHeartbeat, "chat.send": MChatSend}


def parse_msgspec(event: str, payload: dict[str, Any]) -> object:
    return msgspec.convert(payload, MSGSPEC[event])


def model_validate(event: str, payload: dict[str, Any]) -> object:
    return messages.EVENTS[event].model_validate(payload)


Variant = tuple[Callable[[str, dict[str, Any]], object], type[Exception]]


def variants() -> dict[str, Variant]:
    found: dict[str, Variant] = {
        "parse": (messages.parse, MessageInvalid),
        "model_validate": (model_validate, ValidationError),
        "msgspec": (parse_msgspec, msgspec.ValidationError),
    }
    hand = hand_parser()
    if hand is not None:
        found["hand"] = (hand.parse, MessageInvalid)
    return found


# -- payloads -------------------------------------------------------------------------
def sdp_offer(rng: random.Random) -> str:
    """A Chrome-like unified-plan offer: one Opus audio and one VP8/VP9/H264 video m-line."""
    def token(n: int) -> str:
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/")
                       for _ in range(n))
    fingerprint = ":".join(f"{rng.randrange(256):02X}" for _ in range(32))
    ufrag, pwd, msid = token(4), token(24), token(36)
    ssrc_a, ssrc_v, ssrc_r = (rng.randrange(1 << 31) for _ in range(3))
    common = [f"a=ice-ufrag:{ufrag}", f"a=ice-pwd:{pwd}", "a=ice-options:trickle",
              f"a=fingerprint:sha-256 {fingerprint}", "a=setup:actpass"]
    lines = ["v=0", f"o=- {rng.randrange(10**18)} 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
             "a=group:BUNDLE 0 1", "a=extmap-allow-mixed", f"a=msid-semantic: WMS {msid}",
             "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
             "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0", *common, "a=mid:0",
             "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
             "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
             "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
             "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
             "a=sendrecv", f"a=msid:{msid} {token(36)}", "a=rtcp-mux",
             "a=rtpmap:111 opus/48000/2", "a=rtcp-fb:111 transport-cc",
             "a=fmtp:111 minptime=10;useinbandfec=1", "a=rtpmap:63 red/48000/2",
             "a=fmtp:63 111/111", "a=rtpmap:9 G722/8000", "a=rtpmap:0 PCMU/8000",
             "a=rtpmap:8 PCMA/8000", "a=rtpmap:13 CN/8000",
             "a=rtpmap:110 telephone-event/48000", "a=rtpmap:126 telephone-event/8000",
             f"a=ssrc:{ssrc_a} cname:{token(16)}", f"a=ssrc:{ssrc_a} msid:{msid} {token(36)}",
             "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 102 103 104 105 106 107",
             "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0", *common, "a=mid:1",
             "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset",
             "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
             "a=extmap:13 urn:3gpp:video-orientation",
             "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
             "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
             "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
             "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
             "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
             "a=sendrecv", f"a=msid:{msid} {token(36)}", "a=rtcp-mux", "a=rtcp-rsize"]
    codecs = [("VP8/90000", ""), ("VP9/90000", "profile-id=0"), ("VP9/90000", "profile-id=2"),
              ("H264/90000", "level-asymmetry-allowed=1;packetization-mode=1;"
                             "profile-level-id=42001f"),
              ("H264/90000", "level-asymmetry-allowed=1;packetization-mode=1;"
                             "profile-level-id=42e01f"),
              ("AV1/90000", "")]
    for n, (codec, fmtp) in enumerate(codecs):
        pt, rtx = 96 + 2 * n, 97 + 2 * n
        lines += [f"a=rtpmap:{pt} {codec}", f"a=rtcp-fb:{pt} goog-remb",
                  f"a=rtcp-fb:{pt} transport-cc", f"a=rtcp-fb:{pt} ccm fir",
                  f"a=rtcp-fb:{pt} nack", f"a=rtcp-fb:{pt} nack pli"]
        if fmtp:
            lines.append(f"a=fmtp:{pt} {fmtp}")
        lines += [f"a=rtpmap:{rtx} rtx/90000", f"a=fmtp:{rtx} apt={pt}"]
    lines += [f"a=ssrc-group:FID {ssrc_v} {ssrc_r}",
              f"a=ssrc:{ssrc_v} cname:{token(16)}", f"a=ssrc:{ssrc_v} msid:{msid} {token(36)}",
              f"a=ssrc:{ssrc_r} cname:{token(16)}", f"a=ssrc:{ssrc_r} msid:{msid} {token(36)}"]
    return "\r\n".join(lines) + "\r\n"


def cases() -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
    """message → (event, valid payload, invalid payload)."""
    sdp = sdp_offer(random.Random(14))
    candidate = ("candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx "
                 "raddr 192.168.1.23 rport 46154 generation 0 ufrag EsAw network-id 1 "
                 "network-cost 10")
    chat = "审判长，我方申请证人张某出庭作证，相关书证已于昨日提交。\n请合议庭予以准许。"
    return {
        # The invalid ones are client mistakes seen in practice: the RTCSessionDescription
        # object sent instead of its .sdp; the m-line index as a string; a loss ratio
        # sent as a percentage twice over; a bidi override hiding a file name.
        "rtc_sdp": ("rtc.offer", {"to": "p-0f3c9a2e", "sdp": sdp},
                    {"to": "p-0f3c9a2e", "sdp": {"type": "offer", "sdp": sdp}}),
        "rtc_candidate": ("rtc.candidate",
                          {"to": "media", "candidate": candidate, "sdp_mid": "0",
                           "sdp_mline_index": 0},
                          {"to": "media", "candidate": candidate, "sdp_mid": "0",
                           "sdp_mline_index": "0"}),
        "heartbeat": ("heartbeat", {"loss_pct": 0.8, "rtt_ms": 42, "bitrate_kbps": 1250.5},
                      {"loss_pct": 120.5, "rtt_ms": 42, "bitrate_kbps": 1250.5}),
        "chat_send": ("chat.send", {"text": chat},
                      {"text": "请查收附件：证据清单\u202excod.pdf"}),
    }


# Edge payloads where the rules could part: (label, event, payload).
PROBES: list[tuple[str, str, dict[str, Any]]] = [
    ("id with a final line feed", "rtc.candidate", {"to": "peer\n", "candidate": ""}),
    ("candidate '\\n'", "rtc.candidate", {"to": "media", "candidate": "\n"}),
    ("sdp_mline_index 1.0", "rtc.candidate", {"to": "media", "candidate": "", "sdp_mline_index": 1.0}),
    ("sdp_mline_index true", "rtc.candidate", {"to": "media", "candidate": "", "sdp_mline_index": True}),
    ("sdp_mid ' 0 ' (stripped)", "rtc.candidate", {"to": "media", "candidate": "", "sdp_mid": " 0 "}),
    ("heartbeat true", "heartbeat", {"loss_pct": True, "rtt_ms": 1, "bitrate_kbps": 1}),
    ("heartbeat '1.5'", "heartbeat", {"loss_pct": "1.5", "rtt_ms": 1, "bitrate_kbps": 1}),
    ("heartbeat NaN", "heartbeat", {"loss_pct": float("nan"), "rtt_ms": 1, "bitrate_kbps": 1}),
    ("unknown field", "heartbeat", {"loss_pct": 1, "rtt_ms": 1, "bitrate_kbps": 1, "x": 1}),
    ("ice_restart 1", "rtc.offer", {"to": "media", "sdp": "v=0\r\n", "ice_restart": 1}),
    ("chat CR LF → LF", "chat.send", {"text": "一\r\n二"}),
    ("chat lone surrogate", "chat.send", {"text": "证据\udc80"}),
    ("chat blank", "chat.send", {"text": "  \n "}),
    ("sdp lone surrogate", "rtc.offer", {"to": "media", "sdp": "v=0\r\n\udc80"}),
    ("heartbeat 10**400", "heartbeat", {"loss_pct": 10**400, "rtt_ms": 1, "bitrate_kbps": 1}),
]


def values(obj: object) -> dict[str, Any]:
    """The message's fields by name, whatever the variant made (the orders differ)."""
    if isinstance(obj, BaseModel):
        found = obj.model_dump()
    elif isinstance(obj, msgspec.Struct):
        found = msgspec.structs.asdict(obj)
    else:  # the hand parser's dataclass
        found = {k: getattr(obj, k) for k in getattr(obj, "__dataclass_fields__", {})}
    return dict(sorted(found.items()))


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        loc = ".".join(str(part) for part in first["loc"])
        return f"{loc}: {first['msg']} [{first['type']}]"
    if isinstance(exc, MessageInvalid):
        return exc.message
    return str(exc)


def outcome(variant: Variant, event: str, payload: dict[str, Any]) -> str:
    fn, error = variant
    try:
        return f"ok {values(fn(event, payload))}"
    except error as exc:
        return f"refused: {error_text(exc)}"
    except Exception as exc:  # the hand parser let a few through
        return f"crashed: {type(exc).__name__}: {exc}"


def check(table: dict[str, tuple[str, dict[str, Any], dict[str, Any]]],
          libs: dict[str, Variant]) -> dict[str, dict[str, str]]:
    """Every variant gives the product's values for the valid payloads and refuses the invalid."""
    errors: dict[str, dict[str, str]] = {}
    for name, (event, valid, invalid) in table.items():
        expected = values(messages.parse(event, valid))
        errors[name] = {}
        for lib, (fn, error) in libs.items():
            got = values(fn(event, valid))
            assert got == expected, (name, lib, got, expected)
            try:
                fn(event, invalid)
            except error as exc:
                errors[name][lib] = error_text(exc)
            else:
                raise AssertionError(f"{lib} accepted the invalid {name}")
    return errors


def timed(fn: Callable[[str, dict[str, Any]], object], error: type[Exception], event: str,
          payload: dict[str, Any], batch: int, invalid: bool) -> int:
    clock = time.perf_counter_ns
    if invalid:
        start = clock()
        for _ in range(batch):
            try:  # noqa: SIM105 - contextlib.suppress would add its own cost to every call
                fn(event, payload)
            except error:
                pass
        return clock() - start
    start = clock()
    for _ in range(batch):
        fn(event, payload)
    return clock() - start




def main(iterations: int, batch: int, max_seconds: float) -> dict[str, Any]:
    table = cases()
    libs = variants()
    print(f"SDP offer: {len(table['rtc_sdp'][1]['sdp'])} characters; "
          f"{iterations} calls per (message, case, variant) in batches of {batch}")
    if "hand" not in libs:
        print(f"(the hand parser of {HAND_PARSER_COMMIT} is not in this checkout: left out)")
    errors = check(table, libs)
    print("\nEdge probes (where the variants' rules part from the product's):")
    for label, event, payload in PROBES:
        got = {lib: outcome(variant, event, payload) for lib, variant in libs.items()}
        product = got["parse"]
        same = all(v.split(" ", 1)[0] == product.split(" ", 1)[0]
                   and (not v.startswith("ok") or v == product) for v in got.values())
        print(f"  {label:<28} {'same' if same else 'DIFFERS'}")
        if not same:
            for lib, v in got.items():
                print(f"      {lib:<15} {v[:110]}")
    for _ in range(200):  # warm every path once
        for event, valid, invalid in table.values():
            for fn, error in libs.values():
                timed(fn, error, event, valid, 1, False)
                timed(fn, error, event, invalid, 1, True)
    samples: dict[str, list[int]] = {}
    rounds = max(1, iterations // batch)
    deadline = time.monotonic() + max_seconds
    done = 0
    for _ in range(rounds):
        if time.monotonic() > deadline:
            break
        for name, (event, valid, invalid) in table.items():
            for kind, payload in (("", valid), ("_invalid", invalid)):
                for lib, (fn, error) in libs.items():
                    samples.setdefault(f"{name}{kind}_{lib}", []).append(
                        timed(fn, error, event, payload, batch, bool(kind)))
            samples.setdefault(f"{name}_measure", []).append(
                _timed_measure(valid, batch))
        done += 1
    result: dict[str, Any] = {}
    for name in table:
        for kind in ("", "_invalid"):
            base = statistics.median(samples[f"{name}{kind}_parse"]) / batch
            for lib in libs:
                ns = statistics.median(samples[f"{name}{kind}_{lib}"]) / batch
                result[f"{name}{kind}_{lib}_ns"] = round(ns)
                if lib != "parse":
                    result[f"{name}{kind}_{lib}_ratio"] = round(ns / base, 2)
        result[f"{name}_measure_ns"] = round(statistics.median(samples[f"{name}_measure"]) / batch)
    result["calls_per_figure"] = done * batch
    others = [lib for lib in libs if lib != "parse"]
    print(f"\nMedian ns per message ({done * batch} calls each; ratio to parse, same run):")
    print(f"  {'message':<22}{'parse':>9}" + "".join(f"{lib:>22}" for lib in others)
          + f"{'measure()':>11}")
    for name in table:
        for kind in ("", "_invalid"):
            row = f"  {name + kind:<22}{result[f'{name}{kind}_parse_ns']:>9}"
            for lib in others:
                row += (f"{result[f'{name}{kind}_{lib}_ns']:>14} "
                        f"({result[f'{name}{kind}_{lib}_ratio']:.2f}×)")
            if not kind:
                row += f"{result[f'{name}_measure_ns']:>11}"
            print(row)
    print("\nError messages for the invalid payloads:")
    for name, by_lib in errors.items():
        print(f"  {name}")
        for lib, message in by_lib.items():
            print(f"      {lib:<15} {message}")
    return result


def _timed_measure(payload: dict[str, Any], batch: int) -> int:
    start = time.perf_counter_ns()
    for _ in range(batch):
        messages.measure(payload)
    return time.perf_counter_ns() - start


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=20_000,
                        help="calls per (message, case, variant)")
    parser.add_argument("--batch", type=int, default=50, help="calls per timed batch")
    parser.add_argument("--max-seconds", type=float, default=25.0,
                        help="stop the timed rounds after this long")
    args = parser.parse_args()
    figures = main(args.iterations, args.batch, args.max_seconds)
    print(json.dumps({"bench": "messages", **figures}))

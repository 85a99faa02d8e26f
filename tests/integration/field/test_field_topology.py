"""The field test: the production topology run natively, a clinic's Chromium behind NAT.

Court side (this namespace): nginx from deploy/nginx.conf with a certificate of the
test's CA, two app processes behind it, coturn from deploy/turnserver.conf with
use-auth-secret, PostgreSQL, a Redis with a password. Clinic side: a network namespace
whose only way out is a NAT namespace (nftables masquerade) that forwards nothing but
the proxy's https port and coturn's ports. Chromium inside joins over https with its join
link, passes the self-test, is admitted by the judge, and its media reaches the recorder
through TURN (the selected candidate pair is a relay; relay-only: the browser gathers
relays alone); with everything but TCP 443 blocked it still gets through over TURN over
TLS on 443 (nginx routes the TURN host's SNI to coturn). Addresses: 10.x inside the
namespaces the test creates. The first-run part: test_field_first_run.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aioice.stun
import aioice.turn
import pytest

from hearings.adapters.database import Database
from media.ice import TurnCredentials
from tests.conftest import AUDIT_KEY, unavailable
from tests.factories import Trial, make_trial
from tests.integration.field.fieldkit import ROOT, App, Coturn, Nginx, PasswordRedis, TestCA
from tests.integration.media.streams import count_frames, make_source
from tests.integration.signaling.serve_kit import Participant, until
from tests.wiring import settle, wire

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.browser]

SECRET = "field-topology-secret-0123456789abcdef"
_ID = os.getpid() % 9000 + 1000
_NET = 64 + os.getpid() % 64  # 10.<net>.1.0/24 court↔NAT, 10.<net>.2.0/24 NAT↔clinic
COURT = f"10.{_NET}.1.1"      # the court's public address, as the clinic sees it
UPLINK = f"10.{_NET}.1.2"     # the NAT's outside address
GATEWAY = f"10.{_NET}.2.1"
CLINIC = f"10.{_NET}.2.2"
TURN_HOST = "turn.test"       # coturn's name: the proxy's 443 sends its SNI to TURN over TLS
HTTPS = 443                   # on the court's address of the test's own veth


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, text=True)


@dataclass
class Namespaces:
    clinic: str
    nat: str
    inside: str  # the NAT's interface toward the clinic
    uplink: str  # the NAT's interface toward the court
    court_if: str

    def firewall(self, ports_tcp: list[int], ports_udp: list[str]) -> None:
        """The clinic's firewall (in the NAT namespace): forward only these, masquerade."""
        tcp = ", ".join(str(p) for p in ports_tcp)
        udp_rule = (f"iifname \"{self.inside}\" ip daddr {COURT} udp dport "
                    f"{{ {', '.join(ports_udp)} }} accept" if ports_udp else "")
        rules = f"""
table ip clinic {{
  chain postrouting {{
    type nat hook postrouting priority srcnat; policy accept;
    oifname "{self.uplink}" masquerade
  }}
  chain forward {{
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "{self.inside}" ip daddr {COURT} tcp dport {{ {tcp} }} accept
    {udp_rule}
  }}
}}
"""
        subprocess.run(["ip", "netns", "exec", self.nat, "nft", "-f", "-"], input=rules,
                       check=True, capture_output=True, text=True)

    def reset_firewall(self) -> None:
        subprocess.run(["ip", "netns", "exec", self.nat, "nft", "delete", "table", "ip",
                        "clinic"], capture_output=True, text=True)


@pytest.fixture(scope="module")
def namespaces() -> Iterator[Namespaces]:
    if os.geteuid() != 0:
        unavailable("network namespaces", "the field test needs root (ip netns, nftables)")
    ns = Namespaces(f"ytclinic{_ID}", f"ytnat{_ID}", f"ytk{_ID}", f"ytn{_ID}", f"ytr{_ID}")
    try:
        _run("ip", "netns", "add", ns.nat)
        _run("ip", "netns", "add", ns.clinic)
        # court ↔ NAT
        _run("ip", "link", "add", ns.court_if, "type", "veth", "peer", "name", ns.uplink)
        _run("ip", "link", "set", ns.uplink, "netns", ns.nat)
        _run("ip", "addr", "add", f"{COURT}/24", "dev", ns.court_if)
        _run("ip", "link", "set", ns.court_if, "up")
        _run("ip", "-n", ns.nat, "addr", "add", f"{UPLINK}/24", "dev", ns.uplink)
        _run("ip", "-n", ns.nat, "link", "set", ns.uplink, "up")
        _run("ip", "-n", ns.nat, "link", "set", "lo", "up")
        # NAT ↔ clinic
        _run("ip", "-n", ns.nat, "link", "add", ns.inside, "type", "veth", "peer", "name",
             "ytc0")
        _run("ip", "-n", ns.nat, "link", "set", "ytc0", "netns", ns.clinic)
        _run("ip", "-n", ns.nat, "addr", "add", f"{GATEWAY}/24", "dev", ns.inside)
        _run("ip", "-n", ns.nat, "link", "set", ns.inside, "up")
        _run("ip", "-n", ns.clinic, "addr", "add", f"{CLINIC}/24", "dev", "ytc0")
        _run("ip", "-n", ns.clinic, "link", "set", "ytc0", "up")
        _run("ip", "-n", ns.clinic, "link", "set", "lo", "up")
        _run("ip", "-n", ns.clinic, "route", "add", "default", "via", GATEWAY)
        _run("ip", "-n", ns.nat, "route", "add", "default", "via", COURT)
        _run("ip", "netns", "exec", ns.nat, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        unavailable("network namespaces", getattr(exc, "stderr", None) or str(exc))
    try:
        yield ns
    finally:
        subprocess.run(["ip", "link", "del", ns.court_if], capture_output=True)
        for name in (ns.clinic, ns.nat):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


def _origin(port: int) -> str:
    return f"https://{COURT}" if port == 443 else f"https://{COURT}:{port}"


@dataclass
class Court:
    ca: TestCA
    nginx: Nginx
    coturn: Coturn
    apps: list[App]
    redis: PasswordRedis
    directory: Path

    @property
    def origin(self) -> str:
        return _origin(self.nginx.https_port)


def _schema(url: str) -> None:
    async def fresh() -> None:
        db = Database(url)
        await db.drop_all()
        await db.create_all()
        await settle()
        await db.dispose()

    asyncio.run(fresh())


@pytest.fixture(scope="module")
def court(namespaces: Namespaces, postgres_url: str,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Court]:
    directory = tmp_path_factory.mktemp("field")
    with contextlib.ExitStack() as cleanup:
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(1) as pool:
            pool.submit(_schema, postgres_url).result()
        ca = TestCA(directory / "tls", names=("court.test", TURN_HOST),
                    addresses=("127.0.0.1", COURT))
        redis = PasswordRedis(directory / "redis", "field-redis-password")
        redis.start()
        cleanup.callback(redis.stop)
        coturn = Coturn(directory / "coturn", ca, SECRET, listen=COURT, relay=COURT,
                        allowed_peers=(COURT,))  # its own relays: the media peers' relays
        coturn.start()
        cleanup.callback(coturn.stop)
        apps = [App(directory, f"app-{n}") for n in (1, 2)]
        nginx = Nginx(directory / "nginx", ca, [a.address for a in apps], listen=COURT,
                      https_port=HTTPS, turn_host=TURN_HOST,
                      turn_upstream=f"{COURT}:{coturn.tls_port}")
        origin = _origin(nginx.https_port)
        for app in apps:
            app.settings.update(
                database_url=postgres_url, redis_url=redis.url, public_url=origin,
                allowed_origins=origin, trusted_proxies="127.0.0.1",
                audit_key=AUDIT_KEY.decode(), ice_host_addresses="127.0.0.1",
                turn_urls=",".join(coturn.urls(tls=f"{TURN_HOST}:{HTTPS}")),
                turn_secret=SECRET,
                turn_ttl_seconds="600", ice_relay_only="true",
                media_segment_seconds="2", media_timeout="1.5", log_level="INFO")
            app.spawn()
            cleanup.callback(app.stop)
        for app in apps:
            app.wait_ready()
        nginx.start()
        cleanup.callback(nginx.stop)
        yield Court(ca, nginx, coturn, apps, redis, directory)


@pytest.fixture
async def trial(postgres_url: str, court: Court) -> AsyncIterator[Trial]:
    db = Database(postgres_url)
    try:
        yield await make_trial(wire(db))
    finally:
        await settle()
        await db.dispose()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_source(tmp_path_factory.mktemp("field-src") / "source.webm", seconds=60)


class ClinicBrowser:
    """clinic_browser.py in the clinic's namespace; its JSON lines as they come."""

    def __init__(self, namespaces: Namespaces, url: str, spki: str, report: Path) -> None:
        self.command = ["ip", "netns", "exec", namespaces.clinic, sys.executable, "-m",
                        "tests.integration.field.clinic_browser",
                        json.dumps({"url": url, "spki": spki, "within": 60, "linger": 4,
                                    "resolve": {TURN_HOST: COURT},
                                    "report": str(report)})]
        self.proc: asyncio.subprocess.Process | None = None
        self.messages: list[dict[str, Any]] = []
        self.stderr = b""

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            *self.command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)

    async def next(self, within: float = 120) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            line = await asyncio.wait_for(self.proc.stdout.readline(), within)
            if not line:
                assert self.proc.stderr is not None
                self.stderr = await self.proc.stderr.read()
                raise AssertionError(f"the clinic browser ended: {self.messages} "
                                     f"{self.stderr.decode(errors='replace')[-3000:]}")
            try:
                message = dict(json.loads(line))
            except ValueError:
                continue  # not ours (a library's print)
            self.messages.append(message)
            assert "error" not in message, message
            return message

    async def rest(self) -> list[Any]:
        """What the browser says until it ends (for a failure's message)."""
        await self.close()
        assert self.proc is not None and self.proc.stdout is not None
        return [line.decode(errors="replace")[:3000]
                for line in (await self.proc.stdout.read()).splitlines()]

    async def close(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 20)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


async def _join_through_the_clinic(court: Court, namespaces: Namespaces, trial: Trial,
                                   judge: Participant, *, admit: bool
                                   ) -> list[dict[str, Any]]:
    """The clinic's Chromium joins (the judge admits it from the lobby when `admit`);
    the selected candidate pairs of its peer connections."""
    pid = trial.people["defendant"].id
    url = f"{court.origin}/join/{trial.links['defendant']}"
    assert judge.client is not None
    seen = {id(d) for d in judge.client.seen("lobby")}  # earlier joins' lobby lists
    browser = ClinicBrowser(namespaces, url, court.ca.spki_sha256,
                            court.directory / "clinic-browser.jsonl")
    await browser.start()
    try:
        first = await browser.next()
        assert first.get("stage") in ("waiting", "hearing"), first
        if first["stage"] == "waiting":
            try:  # the judge lets them in from the lobby ...
                await judge.client.wait("lobby", lambda d: id(d) not in seen and any(
                    p["id"] == pid for p in d["waiting"]), within=15)
            except AssertionError:
                assert not admit, "the defendant never reached the judge's lobby"
            else:
                for _ in range(40):
                    ack = await judge.client.call("lobby.admit", {"participant_id": pid})
                    if ack["ok"]:
                        break
                    await asyncio.sleep(0.5)  # still connecting: listed, not yet waiting
                assert ack["ok"], (ack, await browser.rest())
        # ... or, admitted before and never sent out, they go back in by themselves (the
        # browser then says "hearing" twice: past the self-test, and inside)
        assert (await browser.next()) == {"stage": "hearing"}
        pairs = (await browser.next())["pairs"]
        final = (await browser.next())["pairs"]
        assert (await browser.next()) == {"done": True}
        return [*pairs, *final]
    finally:
        await browser.close()


async def test_a_clinic_behind_nat_joins_over_https_and_relays_through_turn(
        court: Court, namespaces: Namespaces, trial: Trial, source: Path) -> None:
    hid, pid = trial.hearing.id, trial.people["defendant"].id
    judge = Participant(trial, "judge", source)
    try:
        j = await judge.join(f"http://{court.apps[0].address}")
        for action in ("open_doors", "start"):  # in session; the defendant waits to be let in
            ack = await j.call("hearing.control", {"action": action})
            assert ack["ok"], ack

        # 1. UDP allowed to coturn: TURN over UDP; nothing else but https passes.
        namespaces.reset_firewall()
        namespaces.firewall(
            [court.nginx.https_port, court.coturn.port, court.coturn.tls_port],
            [str(court.coturn.port),
             f"{court.coturn.relay_ports[0]}-{court.coturn.relay_ports[1]}"])
        pairs = await _join_through_the_clinic(court, namespaces, trial, judge, admit=True)
        assert pairs and all(p["local"] == "relay" for p in pairs), pairs
        # relay-only (YUNTING_ICE_RELAY_ONLY) reaches the browser: its peer connections
        # gather no host or server-reflexive candidate at all, only TURN relays
        assert all(p["policy"] == "relay" and p["gathered"]
                   and set(p["gathered"]) == {"relay"} for p in pairs), pairs
        segments = court.directory / "archive" / hid / pid
        await until(lambda: any(segments.glob("seg-*.mkv")), 30, "a recorded segment")
        recorded = sorted(segments.glob("seg-*.mkv"))[0]
        frames = await asyncio.to_thread(count_frames, recorded)
        assert frames["video"] > 0 and frames["audio"] > 0, frames

        # 2. Only TCP 443 passes: TURN over TLS through the proxy's 443 (SNI turn.test).
        namespaces.reset_firewall()
        namespaces.firewall([court.nginx.https_port], [])
        before = set(segments.glob("seg-*.mkv"))
        pairs = await _join_through_the_clinic(court, namespaces, trial, judge, admit=False)
        assert pairs and all(p["local"] == "relay" and p["relayProtocol"] == "tls"
                             and p["relayServer"] == f"turns:{TURN_HOST}:443?transport=tcp"
                             and set(p["gathered"]) == {"relay"} for p in pairs), pairs
        await until(lambda: bool(set(segments.glob("seg-*.mkv")) - before), 30,
                    "a segment recorded through TURN over TLS")
    finally:
        await judge.close()


async def test_the_courts_coturn_refuses_internal_peers_and_stale_credentials(
        court: Court) -> None:
    """The same coturn the clinic used: a live credential allocates, but no permission to
    this Redis (password or not), PostgreSQL, or anything else on the court's side; a
    credential past its TTL gets no allocation at all."""
    turn = TurnCredentials(court.coturn.urls(), SECRET, 600)
    server = (court.coturn.listen, court.coturn.port)
    loop = asyncio.get_running_loop()

    async def client(credential: dict[str, Any]) -> tuple[Any, aioice.turn.TurnClientUdpProtocol]:
        return await loop.create_datagram_endpoint(
            lambda: aioice.turn.TurnClientUdpProtocol(
                server, username=credential["username"], password=credential["credential"],
                lifetime=600, channel_refresh_time=300), remote_addr=server)

    transport, allocation = await client(turn.issue("defendant"))
    try:
        await allocation.connect()
        for peer in (("127.0.0.1", court.redis.port), ("127.0.0.1", 5432),
                     (UPLINK, 80), (CLINIC, 80)):
            with pytest.raises(aioice.stun.TransactionFailed) as refused:
                await allocation.channel_bind(0x4000, peer)
            assert refused.value.response.error_code == 403, peer
        await allocation.delete()
    finally:
        transport.close()
    transport, stale = await client(turn.issue("defendant", now=time.time() - 601))
    try:
        with pytest.raises(aioice.stun.TransactionFailed) as refused:
            await stale.connect()
        assert refused.value.response.error_code == 401
    finally:
        transport.close()

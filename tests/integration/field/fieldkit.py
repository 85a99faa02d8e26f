"""The production topology's services as native processes, configured from deploy/ (the
same files docker-compose.yml mounts): a test CA and server certificate, coturn with
`use-auth-secret`, nginx as the TLS proxy. Shared by the field tests.
"""

from __future__ import annotations

import base64
import datetime as dt
import errno
import hashlib
import ipaddress
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["ROOT", "App", "Coturn", "Nginx", "PasswordRedis", "TestCA", "free_port",
           "wait_listening"]

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
STREAM_MODULE = Path("/usr/lib/nginx/modules/ngx_stream_module.so")


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port(kind: int = socket.SOCK_STREAM, host: str = "127.0.0.1") -> int:
    """A port free for both TCP and UDP on `host`, below the kernel's ephemeral range: a
    port `bind(0)` hands out can be taken by any outgoing connection on this busy machine
    before a server that starts seconds later binds it (ci: an app process refused with
    "address already in use")."""
    pick = random.SystemRandom()
    while True:
        port = pick.randrange(10_000, _ephemeral_low())
        other = socket.SOCK_DGRAM if kind == socket.SOCK_STREAM else socket.SOCK_STREAM
        try:
            with socket.socket(socket.AF_INET, kind) as first, \
                    socket.socket(socket.AF_INET, other) as second:
                first.bind((host, port))
                second.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            continue
        return port


def wait_listening(host: str, port: int, proc: subprocess.Popen[bytes], log: Path,
                   within: float = 20) -> None:
    """Block until a TCP connect to host:port succeeds (sync: called from fixtures)."""
    deadline = time.monotonic() + within
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"exited with {proc.returncode}: {log.read_text()[-3000:]}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"{host}:{port} never listened: {log.read_text()[-3000:]}"
                                     ) from None
            time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@dataclass
class TestCA:
    """A certificate authority of the test's own and one server certificate it issued
    (for the court's name and the test's addresses), as PEM files in `directory`."""

    directory: Path
    names: tuple[str, ...] = ("court.test",)
    addresses: tuple[str, ...] = ("127.0.0.1",)
    ca_path: Path = field(init=False)
    cert_path: Path = field(init=False)
    key_path: Path = field(init=False)
    spki_sha256: str = field(init=False)  # base64, for Chromium's --ignore-certificate-errors-spki-list

    __test__ = False  # not a test class

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "yunting field-test CA")])
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
              .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - dt.timedelta(minutes=5))
              .not_valid_after(now + dt.timedelta(days=2))
              .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                           False), critical=True)
              .sign(ca_key, hashes.SHA256()))
        key = ec.generate_private_key(ec.SECP256R1())
        alt = [x509.DNSName(n) for n in self.names] + [
            x509.IPAddress(ipaddress.ip_address(a)) for a in self.addresses]
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.names[0])]))
                .issuer_name(ca_name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + dt.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName(alt), critical=False)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        pem = serialization.Encoding.PEM
        self.ca_path = self.directory / "ca.pem"
        self.cert_path = self.directory / "court.pem"
        self.key_path = self.directory / "court.key"
        self.ca_path.write_bytes(ca.public_bytes(pem))
        # the chain a server presents: its certificate, then the CA's
        self.cert_path.write_bytes(cert.public_bytes(pem) + ca.public_bytes(pem))
        self.key_path.write_bytes(key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        self.key_path.chmod(0o644)  # nginx workers and coturn may drop privileges
        spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
        self.spki_sha256 = base64.b64encode(hashlib.sha256(spki).digest()).decode()

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca_path))
        return context


class Coturn:
    """coturn from deploy/turnserver.conf plus the deployment's command-line values, as
    docker-compose.yml gives them (the test's addresses and ports instead)."""

    def __init__(self, directory: Path, ca: TestCA, secret: str, *,
                 listen: str = "127.0.0.1", relay: str = "127.0.0.1",
                 allowed_peers: tuple[str, ...] = (), realm: str = "court.test") -> None:
        self.directory, self.ca, self.secret, self.realm = directory, ca, secret, realm
        self.listen, self.relay, self.allowed_peers = listen, relay, allowed_peers
        self.port = free_port(host=listen)
        self.tls_port = free_port(host=listen)
        low = 20000 + (os.getpid() * 7) % 30000
        self.relay_ports = (low, low + 199)
        self.log = directory / "coturn.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [
            shutil.which("turnserver") or "/usr/bin/turnserver",
            "-c", str(DEPLOY / "turnserver.conf"),
            f"--static-auth-secret={self.secret}", f"--realm={self.realm}",
            f"--listening-ip={self.listen}", f"--relay-ip={self.relay}",
            f"--listening-port={self.port}", f"--tls-listening-port={self.tls_port}",
            f"--min-port={self.relay_ports[0]}", f"--max-port={self.relay_ports[1]}",
            f"--cert={self.ca.cert_path}", f"--pkey={self.ca.key_path}",
            f"--pidfile={self.directory / 'coturn.pid'}",
            "--verbose",  # sessions, permissions and peer usage: what a failure needs
            *[f"--allowed-peer-ip={a}" for a in self.allowed_peers],
            # coturn refuses every loopback peer before it reads allowed-peer-ip; here the
            # media peer is on loopback (127.0.0.2), so loopback is turned over to the
            # deployment's denied-peer-ip ranges, which still deny the rest of 127/8.
            *(["--allow-loopback-peers"] if any(
                ipaddress.ip_address(a).is_loopback for a in self.allowed_peers) else []),
        ]

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT,
                                         cwd=self.directory)
        wait_listening(self.listen, self.port, self.proc, self.log)
        wait_listening(self.listen, self.tls_port, self.proc, self.log)

    def stop(self) -> None:
        _stop(self.proc)
        self.proc = None

    def urls(self, host: str | None = None, tls: str | None = None) -> tuple[str, ...]:
        """The YUNTING_TURN_URLS of this server: UDP first (aiortc takes the first); TURN
        over TLS at `tls` (host:port, e.g. the proxy's 443 by SNI) or its own TLS port."""
        h = host or self.listen
        return (f"turn:{h}:{self.port}?transport=udp", f"turn:{h}:{self.port}?transport=tcp",
                f"turns:{tls or f'{h}:{self.tls_port}'}?transport=tcp")


class Nginx:
    """nginx from deploy/nginx.conf, with the test's certificate, ports and upstreams.

    The deployment file is used as it is, except the lines the test must change
    (marked `# field-test:` in it): listen ports, certificate paths, the upstream servers,
    and the paths nginx writes to. Everything else — TLS, HSTS, the redirect, WebSocket
    upgrade, body size, forwarded headers, sticky routing — is the deployment's.
    """

    def __init__(self, directory: Path, ca: TestCA, upstreams: list[str], *,
                 listen: str = "127.0.0.1", https_port: int | None = None,
                 turn_host: str = "turn.test", turn_upstream: str | None = None) -> None:
        self.directory, self.ca, self.upstreams, self.listen = directory, ca, upstreams, listen
        self.https_port = https_port or free_port(host=listen)  # the stream block's (SNI)
        self.http_port = free_port(host=listen)
        self.inside_port = free_port()  # the https server behind the stream block
        self.turn_inside_port = free_port()
        # SNI `turn_host` goes to coturn's TURN over TLS (nothing listens without one)
        self.turn_host = turn_host
        self.turn_upstream = turn_upstream or f"127.0.0.1:{free_port()}"
        self.log = directory / "nginx.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def config(self) -> str:
        text = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
        servers = "".join(f"        server {u} max_fails=0;\n" for u in self.upstreams)
        text = re.sub(r"(?m)^\s*server app:8080[^\n]*# field-test: upstreams\n", servers, text)
        replacements = {
            "listen 443;": f"listen {self.listen}:{self.https_port};",
            "127.0.0.1:8443": f"127.0.0.1:{self.inside_port}",
            "127.0.0.1:5350": f"127.0.0.1:{self.turn_inside_port}",
            "host.docker.internal:5349": self.turn_upstream,
            "${TURN_HOST}": self.turn_host,
            "listen 80;": f"listen {self.listen}:{self.http_port};",
            "/etc/nginx/tls/court.pem": str(self.ca.cert_path),
            "/etc/nginx/tls/court.key": str(self.ca.key_path),
            "https://$host$request_uri": f"https://$host:{self.https_port}$request_uri",
            "/var/run/nginx.pid": str(self.directory / "nginx.pid"),
            "/var/log/nginx/error.log": str(self.log),
        }
        for old, new in replacements.items():
            assert old in text, f"deploy/nginx.conf no longer has {old!r}"
            text = text.replace(old, new)
        if STREAM_MODULE.exists():  # Debian's nginx has `stream` as a module of its own
            text = f"load_module {STREAM_MODULE};\n" + text
        temp = self.directory / "tmp"
        temp.mkdir(parents=True, exist_ok=True)
        return text.replace("user nginx;", "user root;").replace(
            "http {", f"http {{\n    client_body_temp_path {temp}/body;\n"
                      f"    proxy_temp_path {temp}/proxy;\n    fastcgi_temp_path {temp}/fcgi;\n"
                      f"    uwsgi_temp_path {temp}/uwsgi;\n    scgi_temp_path {temp}/scgi;\n", 1)

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / "nginx.conf"
        path.write_text(self.config(), encoding="utf-8")
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                ["nginx", "-c", str(path), "-p", str(self.directory), "-g", "daemon off;"],
                stdout=out, stderr=subprocess.STDOUT)
        wait_listening(self.listen, self.https_port, self.proc, self.log)

    def stop(self) -> None:
        _stop(self.proc)
        self.proc = None



class PasswordRedis:
    """A redis-server of the test's own that requires a password (as compose runs it)."""

    def __init__(self, directory: Path, password: str) -> None:
        self.directory, self.password = directory, password
        self.port = free_port()
        self.url = f"redis://:{password}@127.0.0.1:{self.port}/0"
        self.log = directory / "redis.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--requirepass", self.password],
                stdout=out, stderr=subprocess.STDOUT, cwd=self.directory)
        wait_listening("127.0.0.1", self.port, self.proc, self.log)

    def stop(self) -> None:
        _stop(self.proc)
        self.proc = None


# court_proc with logging to its log file at YUNTING_LOG_LEVEL (court_proc sets up none).
_RUN_APP = """
import logging, os, runpy, sys
logging.basicConfig(level=os.environ.get("YUNTING_LOG_LEVEL", "WARNING"),
                    format="%(asctime)s %(levelname)s %(name)s: %(message)s")
sys.argv = ["court_proc", sys.argv[1]]
runpy.run_module("tests.integration.web.court_proc", run_name="__main__")
"""


class App:
    """One app process (`tests.integration.web.court_proc`: create_app from YUNTING_*)."""

    def __init__(self, directory: Path, name: str, **settings: str) -> None:
        self.directory, self.settings = directory, settings
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.log = directory / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "YUNTING_DATA_DIR": str(self.directory),
               "YUNTING_LOG_LEVEL": "WARNING",
               **{f"YUNTING_{k.upper()}": v for k, v in self.settings.items()}}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _RUN_APP, str(self.port)],
                cwd=self.directory, env=env, stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self, within: float = 90) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + within
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"app exited: {self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://{self.address}/readyz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"app never ready: {self.log.read_text()[-3000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        _stop(self.proc)
        self.proc = None

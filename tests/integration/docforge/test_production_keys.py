"""Production keys, wired from settings: the court seal and the signing service on a
PKCS#11 token (SoftHSM2, a real PKCS#11 module), judges' keys as PKCS#12 files, and an
RFC 3161 timestamping service over HTTP. Trust comes from `<pki dir>/*.root.pem` and
`*.crl`, as in production; the development PKI only stands in for the court's CA."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from docforge.errors import PKIError
from docforge.forge import DocumentForge
from docforge.pki import Credential, DevPKI, init_dev_pki
from docforge.samples import sample
from docforge.schema import from_json
from docforge.timestamps import dev_timestamper, respond
from tests.conftest import unavailable
from web.app.wiring import docforge_config
from web.settings import Settings

SOFTHSM = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN, PIN, SO_PIN, PASSPHRASE = "yunting-court", "1234", "5678", "p12-pass-1"
JUDGE = "张审判"
JUDGE_ID = "5f1c0de0a11ce0000000000000000001"  # the staff user id names the judge's key file


@dataclass
class Court:
    settings: dict[str, str]
    issuer: DevPKI

    def forge(self, **overrides: str) -> DocumentForge:
        env = {**self.settings, **overrides}
        return DocumentForge(docforge_config(Settings.from_env(env, env_file=None)))


def _store_cert(label: str, cred: Credential, id_: bytes) -> None:
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    token = pkcs11.lib(str(SOFTHSM)).get_token(token_label=TOKEN)
    with token.open(rw=True, user_pin=PIN) as session:
        session.create_object({
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.VALUE: cred.cert.public_bytes(serialization.Encoding.DER),
            Attribute.SUBJECT: cred.cert.subject.public_bytes(),
            Attribute.LABEL: label, Attribute.ID: id_, Attribute.TOKEN: True})


def _tsa(issuer: DevPKI) -> Iterator[str]:
    timestamper = dev_timestamper(issuer)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            reply = respond(timestamper, self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def court(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Court]:
    if not SOFTHSM.exists() or shutil.which("softhsm2-util") is None:
        unavailable("SoftHSM2", f"{SOFTHSM} or softhsm2-util not found (Debian: softhsm2)")
    try:
        import pkcs11  # noqa: F401
    except ImportError as exc:
        unavailable("python-pkcs11", str(exc))
    base = tmp_path_factory.mktemp("court-keys")
    issuer = init_dev_pki(base / "issuer")
    # SoftHSM reads its configuration once per process, when the module is initialised.
    (base / "tokens").mkdir()
    conf = base / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n", encoding="utf-8")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    util = ["softhsm2-util"]
    subprocess.run([*util, "--init-token", "--free", "--label", TOKEN, "--pin", PIN,
                    "--so-pin", SO_PIN], check=True, capture_output=True)
    for label, stem, id_ in (("court-seal", "seal", "01"), ("signing-service", "service", "02")):
        subprocess.run([*util, "--import", str(base / "issuer" / f"{stem}.key"), "--token", TOKEN,
                        "--label", label, "--id", id_, "--pin", PIN],
                       check=True, capture_output=True)
    _store_cert("court-seal", issuer.seal, b"\x01")
    _store_cert("signing-service", issuer.service, b"\x02")
    _store_cert("root", issuer.root, b"\x03")
    # What production holds on disk: the trust anchor and CRL, the judges' own PKCS#12 files.
    data = base / "data"
    (data / "pki").mkdir(parents=True)
    shutil.copy(base / "issuer" / "root.pem", data / "pki" / "court.root.pem")
    shutil.copy(base / "issuer" / "root.crl", data / "pki" / "court.crl")
    judges = base / "judges"
    judges.mkdir()
    judge = issuer.issue_person_cert(JUDGE_ID, "judge", JUDGE)
    for name, cred in ((JUDGE_ID, judge), ("seal", issuer.seal), ("service", issuer.service)):
        target = judges if name == JUDGE_ID else base
        (target / f"{name}.p12").write_bytes(pkcs12.serialize_key_and_certificates(
            name.encode(), cred.key, cred.cert, [issuer.root.cert],
            BestAvailableEncryption(PASSPHRASE.encode())))
    tsa = _tsa(issuer)
    settings = {
        "YUNTING_DATA_DIR": str(data), "YUNTING_SIGNING_BACKEND": "pkcs11",
        "YUNTING_TSA_URL": next(tsa),
        "YUNTING_PKCS11_MODULE": str(SOFTHSM), "YUNTING_PKCS11_TOKEN": TOKEN,
        "YUNTING_PKCS11_SEAL_KEY": "court-seal", "YUNTING_PKCS11_SERVICE_KEY": "signing-service",
        "YUNTING_PKCS11_PIN": PIN, "YUNTING_JUDGE_PKCS12_DIR": str(judges),
        "YUNTING_SEAL_PKCS12": str(base / "seal.p12"),
        "YUNTING_SERVICE_PKCS12": str(base / "service.p12"),
        "YUNTING_PKCS12_PASSPHRASE": PASSPHRASE,
    }
    yield Court(settings, issuer)
    next(tsa, None)


def _ruling(forge: DocumentForge) -> bytes:
    document = from_json("confirmation_ruling", sample("confirmation_ruling"))
    pdf = forge.render_and_seal(document)
    pdf = forge.sign_as(pdf, "judge", JUDGE, "judge", user_id=JUDGE_ID)
    return forge.finish(pdf)


# First: a wrong PIN shows only at login, and PKCS#11 keeps an application logged in
# once a right PIN was given (the tests after this one do).
def test_a_wrong_pin_is_a_clear_error(court: Court) -> None:
    forge = court.forge(YUNTING_PKCS11_PIN="0000")
    with pytest.raises(PKIError, match="cannot load key 'court-seal' from PKCS#11 token"):
        _ruling(forge)


def test_a_missing_key_label_is_a_clear_error(court: Court) -> None:
    forge = court.forge(YUNTING_PKCS11_SEAL_KEY="no-such-key")
    with pytest.raises(PKIError, match="no-such-key"):
        _ruling(forge)


@pytest.mark.parametrize("backend", ["pkcs11", "pkcs12"])
def test_a_ruling_sealed_with_production_keys_validates(court: Court, backend: str,
                                                        tmp_path: Path) -> None:
    forge = court.forge(YUNTING_SIGNING_BACKEND=backend)
    pdf = _ruling(forge)
    report = forge.verify(pdf)
    assert report.ok, report.text()
    signers = {s.field: s for s in report.signatures}
    assert signers["judge"].certificate.startswith(JUDGE)  # the judge's own PKCS#12 key
    assert "court seal" in signers["court_seal"].certificate  # the key on the token
    assert signers["court_seal"].kind == "certification"
    path = tmp_path / "ruling.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    cades = [b for b in out.stdout.split("Signature #")[1:] if "ETSI.CAdES.detached" in b]
    assert len(cades) == 2 and all("Signature is Valid" in b for b in cades), out.stdout

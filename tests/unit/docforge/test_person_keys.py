"""A signing key belongs to an authenticated identity (user id + role), never to a name: a
clerk who names a seat like the judge does not get the judge's key (issue 11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from docforge.config import DocforgeConfig, Pkcs12Source
from docforge.errors import PKIError
from docforge.pki import init_dev_pki
from docforge.signers import DevSignerSource, ProductionSignerSource


def _key(signer: object) -> bytes:
    return signer.signing_cert.public_key.dump()  # type: ignore[attr-defined]


def test_the_dev_pki_keys_by_user_id_and_role_not_by_name(tmp_path: Path) -> None:
    source = DevSignerSource(init_dev_pki(tmp_path))
    judge = source.person_signer("judge-user", "审判员", "审判员李明")
    impostor = source.person_signer("clerk-user", "审判员", "审判员李明")  # same name
    assert _key(judge) != _key(impostor)
    renamed = source.person_signer("judge-user", "审判员", "李明")  # the same account
    assert _key(renamed) == _key(judge)
    assert _key(source.person_signer("judge-user", "人民调解员", "李明")) != _key(judge)
    # A fresh source over the same directory finds the same key for the same identity.
    again = DevSignerSource(init_dev_pki(tmp_path)).person_signer("judge-user", "审判员", "x")
    assert _key(again) == _key(judge)


def test_production_looks_keys_up_by_staff_user_id(tmp_path: Path) -> None:
    source = ProductionSignerSource.__new__(ProductionSignerSource)
    source.config = DocforgeConfig(pki_dir=tmp_path, judge_sources={
        "judge-user": Pkcs12Source(tmp_path / "judge-user.p12")})
    with pytest.raises(PKIError, match="staff user 'clerk-user'"):
        source.person_signer("clerk-user", "审判员", "judge-user")  # a name is no key

from __future__ import annotations

from pathlib import Path

import pytest

from web.settings import Secret, Settings, SettingsError


def test_embedded_defaults(tmp_path: Path) -> None:
    s = Settings.from_env({"YUNTING_DATA_DIR": str(tmp_path)}, env_file=None)
    assert s.database_url == f"sqlite:///{tmp_path}/yunting.sqlite3"
    assert s.redis_url == "" and s.ice_servers == () and s.archive_dir == tmp_path / "archive"
    assert s.origins == ["http://127.0.0.1:8080"] and not s.secure_cookies


def test_secrets_never_print() -> None:
    s = Settings.from_env({
        "YUNTING_AUDIT_KEY": "top-secret-key",
        "YUNTING_DATABASE_URL": "postgresql://yunting:hunter2@db:5432/yunting",
        "YUNTING_REDIS_URL": "redis://:redispw@redis:6379/0",
        "YUNTING_TURN_URLS": "turn:t:3478", "YUNTING_TURN_SECRET": "turnpw",
    }, env_file=None)
    shown = repr(s) + str(s)
    for secret in ("top-secret-key", "hunter2", "redispw", "turnpw"):
        assert secret not in shown
    assert isinstance(s.audit_key, Secret) and s.audit_key.reveal() == "top-secret-key"


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("YUNTING_PORT=9000\nYUNTING_HOST=0.0.0.0\n")
    s = Settings.from_env({"YUNTING_PORT": "9100"}, env_file=env_file)
    assert (s.host, s.port) == ("0.0.0.0", 9100)


@pytest.mark.parametrize(("key", "value"), [
    ("YUNTING_PORT", "eighty"), ("YUNTING_PORT", "70000"), ("YUNTING_ICE_SERVERS", "{}"),
    ("YUNTING_ICE_SERVERS", '[{"username": "x"}]'), ("YUNTING_ICE_RELAY_ONLY", "maybe"),
    # a static TURN credential would be in every page: TURN goes through YUNTING_TURN_*
    ("YUNTING_ICE_SERVERS", '[{"urls": "turn:t:3478", "username": "u", "credential": "c"}]'),
    ("YUNTING_ICE_SERVERS", '[{"urls": ["stun:s:3478", "turns:t:443"]}]'),
    ("YUNTING_TURN_URLS", "turn:t:3478"),  # no secret
    ("YUNTING_ICE_RELAY_ONLY", "true"),  # no TURN
    ("YUNTING_ICE_PORT_MIN", "50000"),  # no max
])
def test_bad_settings_are_named(key: str, value: str) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env({key: value}, env_file=None)


def test_audit_key_is_generated_once(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    key = s.audit_key_bytes()
    assert len(key) == 64 and Settings(data_dir=tmp_path).audit_key_bytes() == key
    assert (tmp_path / "audit.key").stat().st_mode & 0o777 == 0o600

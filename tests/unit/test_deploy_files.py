"""The production files agree with the code: docker-compose.yml runs the TLS proxy, the app,
coturn, PostgreSQL and Redis with health checks and volumes, the proxy and coturn from the
deploy/ files the field test runs, and every variable `.env.example` offers is one the
settings read (a misspelt name would be silently ignored)."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from web.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8")))


def _env_example() -> dict[str, str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return dict(re.findall(r"^([A-Z0-9_]+)=(.*)$", text, re.M))


def test_compose_runs_the_app_after_healthy_postgres_and_redis() -> None:
    compose = _compose()
    services = compose["services"]
    # (other workers, e.g. the media worker, may join: each is tested on its own)
    assert {"proxy", "app", "coturn", "db", "redis", "jobs"} <= set(services)
    assert all("healthcheck" in s for s in services.values())
    assert services["app"]["depends_on"] == {"db": {"condition": "service_healthy"},
                                             "redis": {"condition": "service_healthy"}}
    assert services["app"]["build"] == "."
    named = {v.split(":")[0] for s in services.values() for v in s.get("volumes", [])
             if not v.startswith(("./", "${"))}
    assert named == set(compose["volumes"]) == {"pgdata", "archive"}


def test_compose_runs_the_job_queue_worker_on_the_shared_archive() -> None:
    services = _compose()["services"]
    jobs, app = services["jobs"], services["app"]
    assert jobs["command"][:2] == ["yunting", "jobs"]
    assert jobs["build"] == "." and jobs["volumes"] == app["volumes"]  # the same archive
    assert jobs["depends_on"] == app["depends_on"]
    assert "ports" not in jobs and "expose" not in jobs  # it serves nothing
    alive = jobs["command"][jobs["command"].index("--alive-file") + 1]
    assert alive in " ".join(jobs["healthcheck"]["test"])


def test_compose_runs_the_media_worker_on_the_shared_archive() -> None:
    """Issue 15.8: `yunting media` with its UDP range published, writing into the archive the
    app and the jobs read; the app places hearings on it (YUNTING_MEDIA_WORKERS in .env)."""
    services = _compose()["services"]
    media, app = services["media"], services["app"]
    assert media["command"][:2] == ["yunting", "media"]
    assert media["build"] == "." and media["volumes"] == app["volumes"]  # segments to the archive
    assert media["depends_on"] == {"redis": {"condition": "service_healthy"}}
    alive = media["command"][media["command"].index("--alive-file") + 1]
    assert alive in " ".join(media["healthcheck"]["test"])
    env = _env_example()
    settings = Settings.from_env({k: v for k, v in env.items() if k.startswith("YUNTING_")},
                                 env_file=None)
    assert settings.media_workers and settings.redis_url


def test_only_the_proxy_publishes_http_and_it_uses_the_deploy_config() -> None:
    services = _compose()["services"]
    proxy = services["proxy"]
    assert set(proxy["ports"]) == {"80:80", "443:443"}
    assert proxy["depends_on"] == {"app": {"condition": "service_healthy"}}
    mounts = {v.rsplit(":", 2)[1]: v.rsplit(":", 2)[0] for v in proxy["volumes"]}
    # a template: the image writes /etc/nginx/nginx.conf with TURN_HOST (only) filled in
    assert mounts["/etc/nginx/templates/nginx.conf.template"] == "./deploy/nginx.conf"
    assert proxy["environment"]["NGINX_ENVSUBST_OUTPUT_DIR"] == "/etc/nginx"
    assert proxy["environment"]["NGINX_ENVSUBST_FILTER"] == "^TURN_HOST$$"  # compose: $$ is $
    assert proxy["environment"]["TURN_HOST"].startswith("${TURN_HOST")
    assert mounts["/etc/nginx/tls/court.pem"].startswith("${TLS_CERT_FILE")
    assert mounts["/etc/nginx/tls/court.key"].startswith("${TLS_KEY_FILE")
    conf = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    for path in ("/etc/nginx/tls/court.pem", "/etc/nginx/tls/court.key"):
        assert path in conf
    # the app publishes no port: media is the media worker's, which publishes only its UDP range
    assert "ports" not in services["app"]
    (ports,) = services["media"]["ports"]
    assert ports.endswith("/udp") and "YUNTING_ICE_PORT_MIN" in ports
    assert "YUNTING_ICE_PORT_MAX" in ports and "8080" not in ports


def test_the_proxy_matches_the_app() -> None:
    """Body limit, forwarded headers for YUNTING_TRUSTED_PROXIES, WebSocket upgrade,
    sticky routing, HSTS and the redirect."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    lines = {line.strip() for line in conf.splitlines()}
    assert f"client_max_body_size {Settings().max_request_bytes};" in lines
    # e-file scans stream through up to the upload limit, on their one path only
    uploads = conf.split("location ~ ^/api/cases/[^/]+/uploads$ {", 1)[1].split("}", 1)[0]
    assert f"client_max_body_size {Settings().max_upload_bytes};" in uploads
    assert "proxy_request_buffering off;" in uploads
    for wanted in ("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
                   "proxy_set_header X-Forwarded-Proto $scheme;",
                   "proxy_set_header Upgrade $http_upgrade;",
                   "proxy_set_header Connection $connection_upgrade;",
                   "hash $remote_addr consistent;",
                   'add_header Strict-Transport-Security "max-age=31536000" always;',
                   "return 301 https://$host$request_uri;",
                   "ssl_protocols TLSv1.2 TLSv1.3;"):
        assert wanted in lines, wanted
    assert "server app:8080 max_fails=0;  # field-test: upstreams" in lines
    # no request URI in the access log (join links are secrets in the path)
    log_format = conf.split("log_format", 1)[1].split(";", 1)[0]
    assert "$request " not in log_format and "$request_uri" not in log_format


def test_443_carries_https_and_turn_over_tls_by_sni() -> None:
    """A clinic whose firewall passes only TCP 443 relays through TURN over TLS on 443: the
    proxy's stream block routes the TURN host's name to coturn's TLS port, unterminated,
    and everything else to the https server, which learns the client's address from the
    PROXY header (sticky routing and X-Forwarded-For keep the client, not the proxy)."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    stream = conf.split("stream {", 1)[1].split("\nhttp {", 1)[0]
    lines = {line.split("#", 1)[0].strip() for line in stream.splitlines()}
    for wanted in ("listen 443;", "ssl_preread on;", "proxy_protocol on;",
                   "proxy_pass $tls_service;", "map $ssl_preread_server_name $tls_service {",
                   "${TURN_HOST} turn_tls;", "default      https_inside;",
                   "server 127.0.0.1:8443;", "server 127.0.0.1:5350;",
                   "listen 127.0.0.1:5350 proxy_protocol;",
                   "proxy_pass host.docker.internal:5349;"):
        assert wanted in lines, wanted
    http = conf.split("\nhttp {", 1)[1]
    http_lines = {line.split("#", 1)[0].strip() for line in http.splitlines()}
    assert "listen 127.0.0.1:8443 ssl http2 proxy_protocol;" in http_lines
    assert {"set_real_ip_from 127.0.0.1;", "real_ip_header proxy_protocol;"} <= http_lines
    assert not any(line.startswith("listen 443") for line in http_lines)
    assert "tls-listening-port=5349" in (ROOT / "deploy" / "turnserver.conf").read_text(
        encoding="utf-8").splitlines()
    compose = _compose()["services"]
    assert "host.docker.internal:host-gateway" in compose["proxy"]["extra_hosts"]
    env = _env_example()
    settings = Settings.from_env({k: v for k, v in env.items() if k.startswith("YUNTING_")},
                                 env_file=None)
    assert f"turns:{env['TURN_HOST']}:443?transport=tcp" in settings.turn_urls


def test_coturn_shares_the_apps_secret_and_the_deploy_policy() -> None:
    coturn = _compose()["services"]["coturn"]
    assert coturn["network_mode"] == "host"
    assert "./deploy/turnserver.conf:/etc/coturn/turnserver.conf:ro" in coturn["volumes"]
    assert coturn["environment"]["YUNTING_TURN_SECRET"].startswith("${YUNTING_TURN_SECRET")
    command = " ".join(coturn["command"])
    assert "static-auth-secret=%s" in command and "$$YUNTING_TURN_SECRET" in command
    assert "--static-auth-secret" not in command  # never on a command line
    policy = [line.strip() for line in
              (ROOT / "deploy" / "turnserver.conf").read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
    assert "use-auth-secret" in policy and "no-multicast-peers" in policy
    assert not any(line.startswith(("static-auth-secret", "user=", "lt-cred-mech"))
                   for line in policy)
    env = _env_example()
    settings = Settings.from_env({k: v for k, v in env.items() if k.startswith("YUNTING_")},
                                 env_file=None)
    assert settings.turn_urls and settings.turn_secret is not None
    assert settings.turn_urls[0].endswith("?transport=udp")  # aiortc takes the first
    assert any(u.startswith("turns:") for u in settings.turn_urls)
    assert not any("username" in s for s in settings.ice_servers)
    assert settings.ice_port_min and settings.ice_port_max > settings.ice_port_min


def test_env_example_offers_only_settings_that_exist() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    offered = set(re.findall(r"^#?\s*(YUNTING_[A-Z0-9_]+)=", text, re.MULTILINE))
    known = {"YUNTING_" + f.name.upper() for f in fields(Settings) if not f.name.startswith("_")}
    assert offered and offered <= known, offered - known
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for variable in re.findall(r"\$\{([A-Z_]+)", compose):
        assert re.search(rf"^{variable}=", text, re.MULTILINE), variable


def test_the_image_migrates_before_serving() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    command = [line for line in dockerfile.splitlines() if line.startswith("CMD")]
    assert command and "yunting db upgrade && exec yunting serve" in command[-1]

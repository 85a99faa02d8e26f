"""`yunting admin`: first-run setup and account care from the server's shell.

    yunting db upgrade
    yunting admin court create --name 重庆市渝北区人民法院 --code 渝0112
    yunting admin site create --court 渝0112 --name 第一法庭 --kind courtroom
    yunting admin user create --username zhang.admin --name 张管理 --role admin --court 渝0112
    yunting admin user create --username li.clerk --name 李书记员 --role clerk --court 渝0112
    yunting admin user reset li.clerk          # prints a one-time password
    yunting admin user disable li.clerk        # ends the account's sessions now
    yunting admin user enable li.clerk
    yunting admin user list [--court 渝0112] [--json]

Whoever runs these has the server's shell and its database: they act as the system (the
policy allows everything), and the audit log names them as `system:admin-cli:<OS user>`.
Courts are named by their code and users by their username; passwords are never typed
in (they would stay in the shell's history): an account gets a one-time password that
only opens the change-password form.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from hearings.domain.actors import Actor
from hearings.domain.commands import CreateCourt, CreateSite
from hearings.domain.courts import SiteKind
from hearings.domain.errors import HearingsError, NotFound
from hearings.domain.staff import StaffRole, StaffUser
from hearings.services.accounts import IssuedPassword, NewAccount
from web.app.bootstrap import Services
from web.settings import Settings

__all__ = ["register"]


def _actor() -> Actor:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor("system", f"admin-cli:{who}", "yunting admin")


async def _end_everywhere(redis_url: str, user_id: str) -> None:
    """A disabled or reset account's open pages end now, on every serving process (they
    listen on signaling's Redis channel). Without Redis the sessions are gone but an open
    page learns it only at its next request or reconnection."""
    from redis.exceptions import RedisError

    from signaling.config import REDIS_CHANNEL
    from signaling.manager import end_user_everywhere

    try:
        await end_user_everywhere(redis_url, REDIS_CHANNEL, user_id)
    except (OSError, RedisError) as exc:  # Redis away: the sessions are deleted all the same
        print(f"yunting: open pages not told (Redis: {exc})", file=sys.stderr)


def _run(settings: Settings, work: Callable[[Services, Actor], Awaitable[int]]) -> int:
    from hearings.adapters.database import Database
    from web.app.bootstrap import bootstrap

    async def run() -> int:
        database = Database(settings.database_url)
        try:
            services = bootstrap(settings, database)
            if settings.redis_url:  # the serving processes end the account's open pages
                services.accounts.on_sessions_ended = functools.partial(
                    _end_everywhere, settings.redis_url)
            return await work(services, _actor())
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except HearingsError as exc:
        print(f"yunting: {exc.message}", file=sys.stderr)
        return 1


async def _court_id(services: Services, actor: Actor, code: str) -> str:
    court = await services.scheduling.court_by_code(actor, code)
    if court is None:
        raise NotFound("court", code)
    return court.id


async def _user_id(services: Services, actor: Actor, username: str) -> str:
    user = await services.accounts.by_username(actor, username)
    if user is None:
        raise NotFound("staff user", username)
    return user.id


def _court_create(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services, actor: Actor) -> int:
        court = await services.scheduling.create_court(actor, CreateCourt(args.name, args.code))
        print(f"court {court.code} {court.name} created (id {court.id})")
        return 0
    return _run(settings, work)


def _court_list(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services, actor: Actor) -> int:
        for court in await services.scheduling.courts(actor):
            print(f"{court.code}  {court.name}  (id {court.id})")
        return 0
    return _run(settings, work)


def _site_create(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services, actor: Actor) -> int:
        court_id = await _court_id(services, actor, args.court)
        site = await services.scheduling.create_site(actor, CreateSite(
            court_id, args.name, SiteKind(args.kind), args.profile))
        print(f"site {site.name} ({site.kind}) created in {args.court} (id {site.id})")
        return 0
    return _run(settings, work)


def _print_password(issued: IssuedPassword, what: str) -> None:
    user = issued.user
    print(f"{what}: {user.username} ({user.display_name}, {user.role})")
    print(f"one-time password (shown once; it must be changed at the first login): "
          f"{issued.password}")


def _user_create(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services, actor: Actor) -> int:
        court_id = await _court_id(services, actor, args.court) if args.court else None
        issued = await services.accounts.create(actor, NewAccount(
            args.username, args.name, StaffRole(args.role), court_id, args.on_duty))
        _print_password(issued, "created")
        return 0
    return _run(settings, work)


def _user_reset(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services, actor: Actor) -> int:
        issued = await services.accounts.reset_password(
            actor, await _user_id(services, actor, args.username))
        _print_password(issued, "password reset, sessions ended")
        return 0
    return _run(settings, work)


def _user_switch(enable: bool) -> Callable[[argparse.Namespace, Settings], int]:
    def command(args: argparse.Namespace, settings: Settings) -> int:
        async def work(services: Services, actor: Actor) -> int:
            user_id = await _user_id(services, actor, args.username)
            if enable:
                await services.accounts.enable(actor, user_id)
                print(f"enabled: {args.username}")
            else:
                await services.accounts.disable(actor, user_id)
                print(f"disabled: {args.username} (its sessions ended)")
            return 0
        return _run(settings, work)
    return command


def _user_json(user: StaffUser, codes: dict[str, str]) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "display_name": user.display_name,
            "role": user.role.value, "court": codes.get(user.court_id or ""),
            "active": user.active, "must_change_password": user.must_change_password,
            "on_duty": user.on_duty}


def _user_list(args: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services, actor: Actor) -> int:
        court_id = await _court_id(services, actor, args.court) if args.court else None
        users = await services.accounts.users(actor, court_id)
        codes = {c.id: c.code for c in await services.scheduling.courts(actor)}
        rows = [_user_json(u, codes) for u in users]
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
            return 0
        for row in rows:
            state = "active" if row["active"] else "DISABLED"
            if row["must_change_password"]:
                state += ", must change password"
            print(f"{row['username']:<20} {row['display_name']:<10} {row['role']:<9} "
                  f"{row['court'] or '(all courts)':<8} {state}")
        return 0
    return _run(settings, work)


def register(sub: Any) -> None:
    """Add `yunting admin …` to the main parser's subcommands."""
    admin = sub.add_parser("admin", help="first-run setup: courts, sites, staff accounts")
    nouns = admin.add_subparsers(dest="noun", required=True)

    court = nouns.add_parser("court", help="courts").add_subparsers(dest="verb", required=True)
    create = court.add_parser("create", help="register a court")
    create.add_argument("--name", required=True)
    create.add_argument("--code", required=True, help="e.g. 渝0112")
    create.set_defaults(func=_court_create)
    court.add_parser("list", help="list courts").set_defaults(func=_court_list)

    site = nouns.add_parser("site", help="sites").add_subparsers(dest="verb", required=True)
    create = site.add_parser("create", help="register a courtroom, clinic, centre…")
    create.add_argument("--court", required=True, help="the court's code")
    create.add_argument("--name", required=True)
    create.add_argument("--kind", required=True, choices=[k.value for k in SiteKind])
    create.add_argument("--profile", default="standard",
                        choices=["standard", "kiosk", "interrogation"])
    create.set_defaults(func=_site_create)

    user = nouns.add_parser("user", help="staff accounts").add_subparsers(dest="verb",
                                                                          required=True)
    create = user.add_parser("create", help="create an account; prints a one-time password")
    create.add_argument("--username", required=True)
    create.add_argument("--name", required=True, help="display name")
    create.add_argument("--role", required=True, choices=[r.value for r in StaffRole])
    create.add_argument("--court", help="the court's code (only an admin may have none)")
    create.add_argument("--on-duty", action="store_true", help="a judge on the duty roster")
    create.set_defaults(func=_user_create)
    for verb, func, text in (
            ("reset", _user_reset, "new one-time password; ends the account's sessions"),
            ("disable", _user_switch(False), "refuse logins; end the account's sessions now"),
            ("enable", _user_switch(True), "allow logins again")):
        parser = user.add_parser(verb, help=text)
        parser.add_argument("username")
        parser.set_defaults(func=func)
    listing = user.add_parser("list", help="list accounts")
    listing.add_argument("--court", help="only this court's (its code)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_user_list)

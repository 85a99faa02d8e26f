"""Reaching parties outside the room: the outbox's sender and the adapter to an HTTP gateway.

Courts send SMS and e-mail through a gateway of their own (the court's SMS platform, a
mail relay with an HTTP front); yunting POSTs each notification to it as JSON:

    {"id", "hearing_id", "recipient", "recipient_name", "subject", "body",
     "document_id", "created_at", "kind", "channel", "mobile", "text"}

(an invitation's or reminder's body ends with the recipient's join link, minted as it is
sent: the gateway should not log bodies).

The gateway is also the SMS port: a notification for a party who consented and has a
mobile number has `"channel": "sms"`, `"mobile"` (11 digits) and `"text"`, the short
message to send — the subject, the case line and the recipient's delivery link
(`<public_url>/api/served/<token>`), which opens the full notice and records the receipt.
Other notifications have `"channel": "webhook"` and null `mobile` and `text`.

Any 2xx answer counts as sent. Anything else, or no answer within the timeout, is kept
on the notification row (`attempts`, `last_error`) and retried on the next round. With
several processes each sends only the rows it claimed (`Outbox.dispatch`), but a sender
killed after the gateway's answer and before recording it sends again once its lease
runs out: delivery is at least once, and the gateway should treat `id` as an
idempotency key.

With SMTP settings (YUNTING_SMTP_HOST…), a notification that carries an e-mail address
(the party consented to electronic service) goes by e-mail (web/bridges/mail.py) and the rest by
the gateway; `ChannelNotifier` picks per notification, and the outbox records which.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
from aiohttp import web

from hearings.domain.events import MediationChanged
from hearings.services.notifications import Notification, Outbox
from hearings.services.ports import Notifier
from web.bridges.mail import SmtpNotifier
from web.keys import SERVICES, SETTINGS
from web.settings import Settings

__all__ = ["ChannelNotifier", "GatewayError", "WebhookNotifier", "notifier_from_settings",
           "outbox_ctx", "serve_signed_agreements"]

log = logging.getLogger("yunting.notify")


class GatewayError(RuntimeError):
    """The gateway did not accept a notification."""


class WebhookNotifier:
    channel = "webhook"

    def __init__(self, url: str, token: str = "", timeout: float = 5.0, *,
                 link_base: str = "") -> None:
        self._url = url
        self._link_base = link_base.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def send(self, notification: Notification) -> str | None:
        body = {
            "id": notification.id,
            "hearing_id": notification.hearing_id,
            "recipient": notification.recipient,
            "recipient_name": notification.recipient_name,
            "subject": notification.subject,
            "body": notification.body,
            "document_id": notification.document_id,
            "created_at": notification.created_at.isoformat(),
            "kind": notification.kind,  # invitation, reminder_day, … (None: a served document)
            "channel": "sms" if notification.mobile else self.channel,
            "mobile": notification.mobile,
            "text": self.short_text(notification) if notification.mobile else None,
        }
        try:
            async with aiohttp.ClientSession(timeout=self._timeout) as session, \
                    session.post(self._url, json=body, headers=self._headers) as response:
                if not 200 <= response.status < 300:
                    raise GatewayError(f"gateway answered {response.status}")
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise GatewayError(f"gateway unreachable: {type(exc).__name__}") from exc
        return "sms" if notification.mobile else None

    def short_text(self, notification: Notification) -> str:
        """An SMS: the subject's Chinese part, the case line, an invitation's or reminder's
        join link and kiosk code (minted as it is sent), and the delivery link (the full
        notice, and its document, open behind it). Links stand between spaces, so that a
        phone does not run the Chinese text into them."""
        lines = notification.body.splitlines()
        parts = [f"【云庭】{notification.subject.split(' ')[0]}"]
        parts += [line.replace("案号 Case:", "案号") for line in lines if line.startswith("案号")]
        parts += [f"入庭链接 {line.strip()}" for line in lines if "/join/" in line]
        parts += [f"自助终端码 {line.rsplit(' ', 1)[-1]}" for line in lines
                  if line.startswith("法官e站自助终端码")]
        parts.append(f"详情及送达回执 {self._link_base}/api/served/{notification.delivery_token}")
        return " ".join(parts)


class ChannelNotifier:
    """E-mail for a notification with an address, the gateway for the others (SMS rows with
    a mobile number among them); without the
    channel a notification needs, its send fails (and backs off, then is undelivered)."""

    channel = "outbox"

    def __init__(self, email: Notifier | None, gateway: Notifier | None) -> None:
        self._email, self._gateway = email, gateway

    async def send(self, notification: Notification) -> str | None:
        target = self._email if notification.address and self._email else self._gateway
        if target is None:
            raise GatewayError("no channel configured reaches this recipient")
        return await target.send(notification) or target.channel


def notifier_from_settings(settings: Settings) -> Notifier | None:
    gateway: Notifier | None = None
    email: Notifier | None = None
    if settings.notify_webhook_url:
        token = settings.notify_webhook_token.reveal() if settings.notify_webhook_token else ""
        gateway = WebhookNotifier(settings.notify_webhook_url, token,
                                  link_base=settings.public_url)
    if settings.smtp_host:
        email = SmtpNotifier(
            settings.smtp_host, settings.smtp_port, settings.smtp_from,
            link_base=settings.public_url, username=settings.smtp_user,
            password=settings.smtp_password.reveal() if settings.smtp_password else "",
            starttls=settings.smtp_starttls)
    if email is None:
        return gateway
    return ChannelNotifier(email, gateway)


def serve_signed_agreements(outbox: Outbox) -> Callable[[MediationChanged], Awaitable[None]]:
    """A mediation agreement signed by everyone is served on each party who consented to
    e-mail (hearings/services/notifications.py `Outbox.serve_agreement`)."""
    async def on_mediation(event: MediationChanged) -> None:
        if event.because == "mediation.signed" and event.view.get("state") == "signed":
            await outbox.serve_agreement(event.hearing_id)

    return on_mediation


async def outbox_ctx(app: web.Application) -> AsyncIterator[None]:
    """Send the outbox every few seconds while the server runs (only if a gateway is set);
    signed agreements are written to it whether or not (they wait in the table)."""
    settings: Settings = app[SETTINGS]
    app[SERVICES].bus.subscribe(MediationChanged, serve_signed_agreements(app[SERVICES].outbox))
    task = None
    if settings.notify_webhook_url or settings.smtp_host:
        task = asyncio.create_task(
            _send_forever(app[SERVICES].outbox, settings.notify_interval_seconds))
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _send_forever(outbox: Outbox, interval: float) -> None:
    """Each round writes the reminders that fell due (from the database: a restart loses
    none, and none is written twice), then sends what is waiting."""
    while True:
        try:
            reminded = await outbox.remind()
            if reminded:
                log.info("reminders written: %d", reminded)
            sent = await outbox.dispatch()
            if sent:
                log.info("notifications sent: %d", sent)
        except Exception:  # a database hiccup must not end the sender for good
            log.exception("sending the outbox failed; retrying in %.0f s", interval)
        await asyncio.sleep(interval)

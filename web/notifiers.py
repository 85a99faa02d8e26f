"""Reaching parties outside the room: the outbox's sender and the adapter to an HTTP gateway.

Courts send SMS and e-mail through a gateway of their own (the court's SMS platform, a
mail relay with an HTTP front); yunting POSTs each notification to it as JSON:

    {"id", "hearing_id", "recipient", "recipient_name", "subject", "body",
     "document_id", "created_at"}

Any 2xx answer counts as sent. Anything else, or no answer within the timeout, is kept
on the notification row (`attempts`, `last_error`) and retried on the next round. With
several processes each sends only the rows it claimed (`Outbox.dispatch`), but a sender
killed after the gateway's answer and before recording it sends again once its lease
runs out: delivery is at least once, and the gateway should treat `id` as an
idempotency key.

With SMTP settings (YUNTING_SMTP_HOST…), a notification that carries an e-mail address
(the party consented to electronic service) goes by e-mail (web/mail.py) and the rest by
the gateway; `ChannelNotifier` picks per notification, and the outbox records which.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from hearings.notify import Notification, Outbox
from hearings.ports import Notifier
from web.keys import SERVICES, SETTINGS
from web.mail import SmtpNotifier
from web.settings import Settings

__all__ = ["ChannelNotifier", "GatewayError", "WebhookNotifier", "notifier_from_settings",
           "outbox_ctx"]

log = logging.getLogger("yunting.notify")


class GatewayError(RuntimeError):
    """The gateway did not accept a notification."""


class WebhookNotifier:
    channel = "webhook"

    def __init__(self, url: str, token: str = "", timeout: float = 5.0) -> None:
        self._url = url
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
        }
        try:
            async with aiohttp.ClientSession(timeout=self._timeout) as session, \
                    session.post(self._url, json=body, headers=self._headers) as response:
                if not 200 <= response.status < 300:
                    raise GatewayError(f"gateway answered {response.status}")
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise GatewayError(f"gateway unreachable: {type(exc).__name__}") from exc
        return None


class ChannelNotifier:
    """E-mail for a notification with an address, the gateway for the others; without the
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
        gateway = WebhookNotifier(settings.notify_webhook_url, token)
    if settings.smtp_host:
        email = SmtpNotifier(
            settings.smtp_host, settings.smtp_port, settings.smtp_from,
            link_base=settings.public_url, username=settings.smtp_user,
            password=settings.smtp_password.reveal() if settings.smtp_password else "",
            starttls=settings.smtp_starttls)
    if email is None:
        return gateway
    return ChannelNotifier(email, gateway)


async def outbox_ctx(app: web.Application) -> AsyncIterator[None]:
    """Send the outbox every few seconds while the server runs (only if a gateway is set)."""
    settings: Settings = app[SETTINGS]
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
    while True:
        try:
            sent = await outbox.dispatch()
            if sent:
                log.info("notifications sent: %d", sent)
        except Exception:  # a database hiccup must not end the sender for good
            log.exception("sending the outbox failed; retrying in %.0f s", interval)
        await asyncio.sleep(interval)

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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from hearings.notify import Notification, Outbox
from web.keys import SERVICES, SETTINGS
from web.settings import Settings

__all__ = ["GatewayError", "WebhookNotifier", "notifier_from_settings", "outbox_ctx"]

log = logging.getLogger("yunting.notify")


class GatewayError(RuntimeError):
    """The gateway did not accept a notification."""


class WebhookNotifier:
    channel = "webhook"

    def __init__(self, url: str, token: str = "", timeout: float = 5.0) -> None:
        self._url = url
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def send(self, notification: Notification) -> None:
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


def notifier_from_settings(settings: Settings) -> WebhookNotifier | None:
    if not settings.notify_webhook_url:
        return None
    token = settings.notify_webhook_token.reveal() if settings.notify_webhook_token else ""
    return WebhookNotifier(settings.notify_webhook_url, token)


async def outbox_ctx(app: web.Application) -> AsyncIterator[None]:
    """Send the outbox every few seconds while the server runs (only if a gateway is set)."""
    settings: Settings = app[SETTINGS]
    task = None
    if settings.notify_webhook_url:
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

"""Electronic service by e-mail (电子送达): the outbox's SMTP adapter.

Each notification with an address (the party's e-mail, given with their consent to
electronic service) is sent as a plain-text UTF-8 message through the court's mail relay,
with the recipient's own delivery link (`<public_url>/api/served/<token>`) under the body.
A refusal (4xx/5xx), a relay that cannot be reached, or no answer in time raises
`MailError`: the outbox records it and backs off (hearings/services/notifications.py). Addresses are
never logged; errors name the SMTP code, not the recipient.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, make_msgid

import aiosmtplib

from hearings.services.notifications import Notification

__all__ = ["MailError", "SmtpNotifier"]


class MailError(RuntimeError):
    """The mail relay did not take a message."""


class SmtpNotifier:
    channel = "email"

    def __init__(self, host: str, port: int, sender: str, *, link_base: str,
                 username: str = "", password: str = "", starttls: bool = True,
                 timeout: float = 10.0) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password = username, password
        self._starttls, self._timeout = starttls, timeout
        self._link_base = link_base.rstrip("/")

    def delivery_link(self, notification: Notification) -> str:
        return f"{self._link_base}/api/served/{notification.delivery_token}"

    def message(self, notification: Notification) -> EmailMessage:
        if not notification.address:
            raise MailError("no e-mail address (or no consent to electronic service)")
        msg = EmailMessage()
        msg["From"] = formataddr(("云庭 yunting", self._sender))
        msg["To"] = formataddr((notification.recipient_name, notification.address))
        msg["Subject"] = notification.subject
        msg["Message-ID"] = make_msgid(idstring=notification.id,
                                       domain=self._sender.rpartition("@")[2] or None)
        msg["X-Yunting-Notification"] = notification.id  # the relay's idempotency key
        link = self.delivery_link(notification) if notification.delivery_token else ""
        body = notification.body
        if link:
            body += f"\n\n送达链接（仅限本人使用）Your delivery link (for you only):\n{link}\n"
        msg.set_content(body, charset="utf-8")
        return msg

    async def send(self, notification: Notification) -> str:
        msg = self.message(notification)
        try:
            await aiosmtplib.send(
                msg, hostname=self._host, port=self._port,
                username=self._username or None, password=self._password or None,
                start_tls=self._starttls, timeout=self._timeout)
        except aiosmtplib.SMTPResponseException as exc:
            raise MailError(f"mail relay answered {exc.code}") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise MailError(f"mail relay unreachable: {type(exc).__name__}") from exc
        return self.channel

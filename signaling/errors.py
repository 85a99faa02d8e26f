"""Errors of the signaling package, each with a stable code the client receives.

    SignalingError               (signaling_error)
     ├── MessageInvalid          a payload failed its schema          (invalid_message)
     │    └── MessageTooLarge    a message or an SDP is over a limit  (too_large)
     ├── UnknownEvent            no such event in the protocol        (unknown_event)
     ├── NotAllowed              the sender's standing may not send it (forbidden)
     ├── RateLimited             the connection sends too fast         (rate_limited)
     └── ConfigError             a SignalingConfig value is wrong      (config_error)

Domain errors (`hearings.domain.errors.HearingsError`) keep their own codes; the namespace
maps both families to one `error` event in one place.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "MessageInvalid",
    "MessageTooLarge",
    "NotAllowed",
    "RateLimited",
    "SignalingError",
    "UnknownEvent",
]


class SignalingError(Exception):
    code = "signaling_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MessageInvalid(SignalingError):
    code = "invalid_message"


class MessageTooLarge(MessageInvalid):
    code = "too_large"


class UnknownEvent(SignalingError):
    code = "unknown_event"


class NotAllowed(SignalingError):
    code = "forbidden"


class RateLimited(SignalingError):
    code = "rate_limited"


class ConfigError(SignalingError):
    code = "config_error"

"""Errors of the hearings domain, each with a stable machine-readable code.

    HearingsError
     ├── InvalidInput        a value object or command refused its input   (invalid_input)
     ├── NotFound            no such court, site, case, hearing, ...       (not_found)
     ├── IllegalTransition   a state machine refused an action             (illegal_transition,
     │                       or hearing_closed when the hearing is over)
     ├── PermissionDenied    the actor may not do this                     (forbidden)
     ├── Unauthenticated     nobody is logged in / bad credentials         (unauthenticated)
     ├── TokenRefused        a join token was refused; code is the reason  (token_expired,
     │                       wrong_hearing, revoked, hearing_closed, unknown_token)
     ├── TooLarge            a file (an upload) past its size limit        (body_too_large)
     └── Conflict            collides with existing data                   (conflict)
          └── ConcurrentChange   someone else changed it meanwhile: read it   (conflict)
                                 again and retry (a system caller may do so itself)
"""

from __future__ import annotations

__all__ = [
    "ConcurrentChange",
    "Conflict",
    "HearingsError",
    "IllegalTransition",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "TokenRefused",
    "TooLarge",
    "Unauthenticated",
]


class HearingsError(Exception):
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(HearingsError):
    code = "invalid_input"


class NotFound(HearingsError):
    code = "not_found"

    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"no {kind} with id {ident!r}")
        self.kind = kind


class IllegalTransition(HearingsError):
    code = "illegal_transition"

    def __init__(self, machine: str, state: str, action: str) -> None:
        super().__init__(f"cannot {action} a {machine} that is {state}")
        self.machine, self.state, self.action = machine, state, action
        if machine == "hearing" and state in ("closed", "cancelled"):
            self.code = "hearing_closed"


class PermissionDenied(HearingsError):
    code = "forbidden"


class Unauthenticated(HearingsError):
    code = "unauthenticated"


TOKEN_REFUSALS = ("token_expired", "wrong_hearing", "revoked", "hearing_closed", "unknown_token")


class TokenRefused(HearingsError):
    def __init__(self, reason: str) -> None:
        if reason not in TOKEN_REFUSALS:
            raise ValueError(f"'reason' must be in {list(TOKEN_REFUSALS)} (got {reason!r})")
        super().__init__(f"join token refused: {reason}")
        self.code = reason


class TooLarge(HearingsError):
    code = "body_too_large"


class Conflict(HearingsError):
    code = "conflict"


class ConcurrentChange(Conflict):
    """A concurrent writer committed first (a version check or a deadlock): unlike a
    duplicate, the same command may succeed when it is read and tried again."""

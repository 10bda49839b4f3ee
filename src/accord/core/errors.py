"""Domain errors of our own, mapped once to RFC 9457 problem details and CLI messages."""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AccordError",
    "Conflict",
    "Forbidden",
    "Invalid",
    "NotFound",
    "PayloadTooLarge",
    "TooManyRequests",
    "Unauthorized",
]


class AccordError(Exception):
    """Base of every error the application raises on purpose."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        """The RFC 9457 problem-details body for this error."""
        body: dict[str, Any] = {
            "type": f"urn:accord:problem:{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return body


class Invalid(AccordError):
    """The input breaks a rule; `errors` names the fields."""

    status = 422
    slug = "invalid"
    title = "Invalid input"


class Unauthorized(AccordError):
    """No valid credentials were presented."""

    status = 401
    slug = "unauthorized"
    title = "Sign-in required"


class Forbidden(AccordError):
    """The caller is known but may not do this."""

    status = 403
    slug = "forbidden"
    title = "Not allowed"


class NotFound(AccordError):
    """No such record, or one the caller may not know exists."""

    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(AccordError):
    """The request clashes with the current state of a record."""

    status = 409
    slug = "conflict"
    title = "Conflict"


class PayloadTooLarge(AccordError):
    """The request body is larger than the configured limit."""

    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class TooManyRequests(AccordError):
    """A rate limit or an account lock stops the request."""

    status = 429
    slug = "too-many-requests"
    title = "Too many requests"

"""The one error tree of Unico. Each error has a stable ``code`` and an HTTP ``status``.

    UnicoError                      base; catch it to handle any business failure
    ├── ValidationFailed    422     input is well-formed but breaks a rule (field named)
    ├── NotFound            404     an id, SKU, location... that does not exist
    ├── Conflict            409     the request collides with current state
    │   ├── InsufficientStock       not enough available to promise
    │   └── IdempotencyMismatch     the same key was used with a different request
    ├── Unauthenticated     401     no or bad credentials
    ├── PermissionDenied    403     credentials valid, action not allowed for this role/store
    └── Unavailable         503     a dependency (database) is not reachable

Adapters map them in one place (``unico.api.errors``) to
``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

from typing import Any


class UnicoError(Exception):
    """Base of every business error; carries a stable code, a message and details."""

    status = 400
    default_code = "unico.error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class ValidationFailed(UnicoError):
    """Input breaks a business rule; ``details['field']`` names the offending field."""

    status = 422
    default_code = "validation.failed"


class NotFound(UnicoError):
    """The thing asked for does not exist."""

    status = 404
    default_code = "not_found"


class Conflict(UnicoError):
    """The request is valid but collides with the current state."""

    status = 409
    default_code = "conflict"


class InsufficientStock(Conflict):
    """Less is available to promise than was asked for; details say what is."""

    default_code = "inventory.insufficient_stock"


class IdempotencyMismatch(Conflict):
    """An idempotency key was reused for a different request."""

    default_code = "idempotency.mismatch"


class Unauthenticated(UnicoError):
    """Missing or invalid credentials."""

    status = 401
    default_code = "auth.unauthenticated"


class PermissionDenied(UnicoError):
    """Valid credentials that may not do this."""

    status = 403
    default_code = "auth.forbidden"


class Unavailable(UnicoError):
    """A dependency is not reachable right now; retrying later may succeed."""

    status = 503
    default_code = "unavailable"

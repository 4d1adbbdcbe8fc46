"""Domain errors: a machine code, a message for a person, details, and an HTTP status."""


class DomainError(Exception):
    """Base of every business-rule failure; the web layer turns it into a page or JSON."""

    status = 422

    def __init__(self, code: str, message: str, details: dict | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}
        if status is not None:
            self.status = status

    def to_json(self) -> dict:
        """Return the API error body of API.md."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class ValidationError(DomainError):
    """Input that does not fit: details maps each wrong field to what is wrong with it."""

    status = 422

    def __init__(self, fields: dict[str, str], message: str | None = None):
        names = ", ".join(sorted(fields))
        super().__init__("invalid_input", message or f"Please check: {names}.", {"fields": fields})


class AccountError(DomainError):
    """A failure about users, tokens, locations or settings."""


class NotFound(DomainError):
    """A thing named by the caller does not exist."""

    status = 404

"""Domain errors: a machine code, a message for a person, and details. The web layer picks the status."""


class DomainError(Exception):
    """Base of every business-rule failure; the web layer turns its code into a page or JSON."""

    def __init__(self, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


class ValidationError(DomainError):
    """Input that does not fit: details maps each wrong field to what is wrong with it."""

    def __init__(self, fields: dict[str, str], message: str | None = None):
        names = ", ".join(sorted(fields))
        super().__init__("invalid_input", message or f"Please check: {names}.", {"fields": fields})


class AccountError(DomainError):
    """A failure about users, tokens, locations or settings."""


class NotFound(DomainError):
    """A thing named by the caller does not exist."""


class FieldErrors:
    """Collect what is wrong with each field of one input, so that one answer names them all."""

    def __init__(self, fields: dict[str, str] | None = None):
        self.fields = dict(fields or {})

    def check(self, check, *args, **kwargs):
        """Return check(*args, **kwargs), or None after noting the fields of the ValidationError it raised."""
        try:
            return check(*args, **kwargs)
        except ValidationError as error:
            self.fields.update(error.details["fields"])
            return None

    def add(self, field: str, message: str) -> None:
        """Note that `field` is wrong."""
        self.fields[field] = message

    def raise_any(self) -> None:
        """Raise one ValidationError naming every field noted, if any."""
        if self.fields:
            raise ValidationError(self.fields)

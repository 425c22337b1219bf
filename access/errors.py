"""Why a domain service refuses a request, without HTTP: the admin API answers each kind with
its status and the JSON error shape (`admin_api/errors.py`), the staff pages with a German page
or a message next to the form field named by `field`."""

from __future__ import annotations


class Refused(Exception):
    """A request a service will not carry out. `code` is stable and machine-readable."""

    code = "refused"

    def __init__(self, message: str, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class NotFound(Refused):
    """No such object, or one outside the caller's scope (the two look the same)."""

    code = "not_found"

    def __init__(self, what: str = "object", field: str | None = None) -> None:
        super().__init__(f"no such {what}", field)


class Invalid(Refused):
    """Input the service cannot accept, named by `field`."""

    code = "validation_error"


class Conflict(Refused):
    """The request clashes with what is stored (a taken code, a transition not allowed)."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message, field, code)


class Forbidden(Refused):
    """The caller's role or account may not do this at all."""

    code = "forbidden"


class TooMany(Refused):
    """Done too often in too short a time; `retry_after`: seconds until it would be allowed."""

    code = "too_many_requests"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after

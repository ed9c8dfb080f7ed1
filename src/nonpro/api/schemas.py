"""Response schemas shared by the API's routers."""

from __future__ import annotations

from ninja import Schema


class ErrorOut(Schema):
    detail: str


class ValidationErrorOut(Schema):
    detail: list[dict[str, object]]


#: The error responses every authenticated operation can give.
AUTH_ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut}

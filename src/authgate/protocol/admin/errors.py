"""The admin services' errors beyond RFC 6749's: HTTP's own (RFC 9110 §15.5, RFC 6585 §3),
in the same ``error`` / ``error_description`` shape."""

from __future__ import annotations

from authgate.errors import InvalidRequest


class NotFound(InvalidRequest):
    error = "not_found"
    status_code = 404


class Conflict(InvalidRequest):
    """The change clashes with what exists (an e-mail address or slug taken, a user who
    owns clients)."""

    error = "conflict"
    status_code = 409


class PreconditionFailed(InvalidRequest):
    """RFC 9110 §13.1.1: the ``If-Match`` revision is no longer the resource's."""

    error = "precondition_failed"
    status_code = 412


class PreconditionRequired(InvalidRequest):
    """RFC 6585 §3: an update without ``If-Match`` could overwrite a change it never saw."""

    error = "precondition_required"
    status_code = 428

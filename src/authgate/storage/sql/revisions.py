"""Row revisions (migration 0009): the admin API's ETags."""

from __future__ import annotations

#: ``WHERE … AND (${n} = 0 OR revision = ${n})``: 0 (revisions start at 1) is "whatever
#: the row's revision": the statement is written once for both cases
ANY_REVISION = 0

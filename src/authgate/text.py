"""Which strings both databases store, and compare, exactly as given.

PostgreSQL's text types refuse NUL (``invalid byte sequence for encoding "UTF8": 0x00``)
even as a query parameter, and neither driver encodes a lone surrogate: what Python makes
of bytes that are not UTF-8 in a command-line argument (``\\udcff``), or of a JSON
``"\\ud800"`` escape. SQLite would store a NUL silently. Validation refuses such text with
a clear error before it is stored, and look-ups of it find nothing, on both databases.
"""

from __future__ import annotations


def is_unicode(text: str) -> bool:
    """``text`` is a string of Unicode scalar values: it encodes as UTF-8."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def storable(text: str) -> bool:
    """``text`` holds no NUL and is valid Unicode."""
    return "\x00" not in text and is_unicode(text)

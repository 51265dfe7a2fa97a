"""Text from files and Azure, made safe to print on one line and in any terminal.

Values the tools print or copy into a comment (an exemption's reason, a port name, a
location read from Azure's JSON) come from files a user or another tool wrote. Printed
raw, a line break in one would start a line of its own (a forged ``exemption:`` or
summary line, a top-level key in a YAML header comment) and a terminal escape would
rewrite what is shown. ``one_line`` writes every such character as a Python-style
escape, so one value stays one visible piece of one line.

Standard library only: the policy pack, ``adopt`` and the offline tools all use it.
"""

from __future__ import annotations

import sys
import unicodedata

from .facts import CONTROL_CHARACTER_CATEGORY

# Control characters, format characters (bidirectional overrides, zero-width ones) and the
# line and paragraph separators: none belongs in a name or a reason, and each can make a
# printed line look like something it is not.
_UNSAFE_CATEGORIES = frozenset({CONTROL_CHARACTER_CATEGORY, "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def _escape(char: str) -> str:
    code = ord(char)
    if char == "\n":
        return "\\n"
    if char == "\r":
        return "\\r"
    if char == "\t":
        return "\\t"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def one_line(value: object) -> str:
    """``value`` as text with every control, format or separator character escaped
    (``\\n``, ``\\x1b``, ``\\u202e``): printable on one line, never a second one."""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():
        return text
    return "".join(_escape(c) if unicodedata.category(c) in _UNSAFE_CATEGORIES else c for c in text)


def tolerate_any_encoding() -> None:
    """Let stdout and stderr write any text whatever their encoding (``LANG=C``,
    ``PYTHONIOENCODING=ascii``, a Windows code page): a character the encoding lacks is
    written as a backslash escape instead of raising ``UnicodeEncodeError`` half-way
    through a report."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        try:
            reconfigure(errors="backslashreplace")
        except (ValueError, OSError):  # a closed or detached stream: nothing to print to anyway
            pass

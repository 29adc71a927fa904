"""Field validators shared by accounts and Apps."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

_phone = RegexValidator(
    # Digits with an optional leading + and the usual separators, at least three digits.
    regex=r"^\+?(?=(?:[^0-9]*[0-9]){3})[0-9 ().\-/]{3,32}\Z",
    message="Enter a phone number: digits, an optional leading +, and spaces, dots, dashes or brackets.",
    code="invalid_phone",
)


def validate_phone(value: str) -> None:
    """Digits with an optional leading + and common separators (at least three digits)."""
    _phone(value)


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_CHARACTERS_BUT_WHITESPACE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Unicode's format characters (Cf: the bidirectional overrides and isolates such as U+202E,
# zero-width spaces and joiners, the soft hyphen) and its line and paragraph separators (Zl,
# Zp). None is visible as itself: U+202E turns "abc\u202egnp.exe" into "abcexe.png" on the
# consent page and in mail, and U+2028 breaks a line where nothing shows one.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Zl", "Zp"})


def _refuse_invisible(value: str) -> None:
    for character in value:
        if unicodedata.category(character) in _INVISIBLE_CATEGORIES:
            name = unicodedata.name(character, "unnamed")
            raise ValidationError(
                "%(character)s (%(name)s) is not allowed: invisible formatting characters and line or "
                "paragraph separators can make text read as something else.",
                code="format_characters",
                params={"character": f"U+{ord(character):04X}", "name": name},
            )


def validate_single_line(value: str) -> None:
    """Refuse control characters (line breaks included), Unicode format characters and line
    or paragraph separators in one-line text."""
    if _CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            "Control characters and line breaks are not allowed.", code="control_characters"
        )
    _refuse_invisible(value)


def validate_text(value: str) -> None:
    """Refuse control characters other than tabs and line breaks, Unicode format characters
    and line or paragraph separators in free text."""
    if _CONTROL_CHARACTERS_BUT_WHITESPACE.search(value):
        raise ValidationError("Control characters are not allowed.", code="control_characters")
    _refuse_invisible(value)

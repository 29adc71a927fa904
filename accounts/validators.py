"""Field validators shared by accounts and Apps."""

import re

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


def validate_single_line(value: str) -> None:
    """Refuse control characters (line breaks included) in one-line text."""
    if _CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            "Control characters and line breaks are not allowed.", code="control_characters"
        )


def validate_text(value: str) -> None:
    """Refuse control characters other than tabs and line breaks in free text."""
    if _CONTROL_CHARACTERS_BUT_WHITESPACE.search(value):
        raise ValidationError("Control characters are not allowed.", code="control_characters")

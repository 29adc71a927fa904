"""portal.speedups.tokens: token values as oauthlib makes them, on every grant."""

import re
from collections import Counter

from oauth2_provider.settings import oauth2_settings
from oauthlib.common import UNICODE_ASCII_CHARACTER_SET, generate_token

from portal.speedups.tokens import token_value


def test_a_token_value_has_oauthlibs_length_and_characters():
    shape = re.compile(f"[{re.escape(UNICODE_ASCII_CHARACTER_SET)}]{{30}}")
    assert shape.fullmatch(generate_token())  # the library's, as a reference
    values = [token_value() for _ in range(2000)]
    assert all(shape.fullmatch(value) for value in values)
    assert len(set(values)) == len(values)


def test_every_character_is_drawn_about_as_often():
    counts = Counter("".join(token_value() for _ in range(4000)))  # 120,000 characters
    expected = 120_000 / len(UNICODE_ASCII_CHARACTER_SET)  # about 1,935 each
    assert set(counts) == set(UNICODE_ASCII_CHARACTER_SET)
    assert all(abs(count - expected) < 8 * expected**0.5 for count in counts.values()), counts


def test_django_oauth_toolkit_makes_its_tokens_with_it():
    assert oauth2_settings.ACCESS_TOKEN_GENERATOR is token_value
    assert oauth2_settings.server_kwargs["token_generator"] is token_value

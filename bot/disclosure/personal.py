"""Personal data in text, for the providers whose policy asks for it: e-mail addresses, phone
numbers (Google's libphonenumber, through ``phonenumbers``), IP addresses (checked by
``ipaddress``) and card numbers (Luhn-checked, with a card network's prefix).

Every pattern here is bounded: fixed-width repeats, no nested quantifiers over the same
characters, so no input makes one backtrack for long.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

import phonenumbers

from bot.disclosure.secrets import Hit

EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![\w-])"
)
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]|\.\d)")
IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
CARD = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w-]|\.\d)")
# Issuer prefixes of the card networks (Visa, Mastercard, Amex, Discover, JCB, Diners,
# UnionPay, Maestro): a Luhn-valid number without one is an id, not a card.
CARD_PREFIX = re.compile(
    r"^(?:4|5[1-5]|2[2-7]|3[47]|6(?:011|5|4[4-9]|2)|35|3(?:0[0-5]|[689])|5[06-9])"
)


def emails_in(line: str) -> Iterator[Hit]:
    for match in EMAIL.finditer(line):
        yield Hit("e-mail address", match.start(), match.end())


def ips_in(line: str) -> Iterator[Hit]:
    for pattern in (IPV4, IPV6):
        for match in pattern.finditer(line):
            text = match.group(0)
            if pattern is IPV6 and text.count(":") < 2:
                continue
            try:
                ipaddress.ip_address(text)
            except ValueError:
                continue
            yield Hit("IP address", match.start(), match.end())


def cards_in(line: str) -> Iterator[Hit]:
    for match in CARD.finditer(line):
        digits = re.sub(r"[ -]", "", match.group(0))
        if 13 <= len(digits) <= 19 and CARD_PREFIX.match(digits) and luhn_valid(digits):
            yield Hit("card number", match.start(), match.end())


def phones_in(line: str) -> Iterator[Hit]:
    """Numbers written in international form (``+44 20 7946 0958``): without a country code a
    run of digits is as likely a port, a count or an id. libphonenumber checks the number is
    one a country could issue."""
    if "+" not in line:
        return
    for match in phonenumbers.PhoneNumberMatcher(
        line, None, leniency=phonenumbers.Leniency.VALID, max_tries=64
    ):
        yield Hit("phone number", match.start, match.end)


def luhn_valid(digits: str) -> bool:
    total = 0
    for n, char in enumerate(reversed(digits)):
        value = int(char) * (2 if n % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0

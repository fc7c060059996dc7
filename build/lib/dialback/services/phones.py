"""Phone numbers: parsed and validated with ``phonenumbers`` (C1, C11)."""

from __future__ import annotations

from collections.abc import Collection

import phonenumbers


class InvalidPhone(ValueError):
    """A number Dialback will not call, with the reason a visitor can read."""


def parse_phone(raw: str, *, region: str, allowed_regions: Collection[str] = ()) -> str:
    """Return the E.164 form of ``raw``, read with ``region`` as the default country.

    Raises ``InvalidPhone`` for text that is not a number, a number that cannot
    exist, or one outside ``allowed_regions`` (when that is not empty).
    """
    text = raw.strip()
    if not text:
        raise InvalidPhone("the phone number is empty")
    if len(text) > 40:
        raise InvalidPhone("the phone number is too long")
    try:
        number = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {exc._msg}") from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhone("the number has the wrong length for its country")
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("the number does not exist in its country's numbering plan")
    country = phonenumbers.region_code_for_number(number)
    allowed = {r.upper() for r in allowed_regions}
    if allowed and country not in allowed:
        raise InvalidPhone(
            f"numbers from {country} are not accepted here (accepted: {', '.join(sorted(allowed))})"
        )
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))

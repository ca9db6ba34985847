"""Normalising text that identifies something (filing numbers, ID numbers).

Two values a person cannot tell apart must compare equal: full-width digits and
brackets become their ordinary forms (NFKC), invisible characters (zero-width
space U+200B, joiners U+200C/U+200D, word joiner, BOM U+FEFF, soft hyphen and
every other format or control character) are removed, and surrounding
whitespace is stripped. Normalise before comparing and before storing.
"""
import unicodedata

# Unicode categories that print nothing: Cf (format: zero-width characters,
# bidi marks, BOM, soft hyphen) and Cc (control characters).
_INVISIBLE_CATEGORIES = {"Cf", "Cc"}


def normalise_identifier(value) -> str:
    """The comparable form of an identifier typed by a user ("" for None)."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES)
    return text.strip()

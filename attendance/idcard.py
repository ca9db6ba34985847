"""Chinese resident identity numbers (GB 11643-1999): 17 digits and a check character."""
import datetime

from core.text import normalise_identifier

ASCII_DIGITS = frozenset("0123456789")

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK_CHARACTERS = "10X98765432"


def check_character(first17: str) -> str:
    return CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def normalise(number) -> str:
    """As typed or pasted: full-width digits and ｘ become ASCII, invisible characters go."""
    return normalise_identifier(number or "").upper()


def is_valid(number: str) -> bool:
    number = normalise(number)
    # Only ASCII digits: str.isdigit() also accepts "²" and other scripts' digits.
    if len(number) != 18 or not set(number[:17]) <= ASCII_DIGITS:
        return False
    if check_character(number[:17]) != number[17]:
        return False
    try:
        birth_date(number)
    except ValueError:
        return False
    return True


def birth_date(number: str) -> datetime.date:
    return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def gender(number: str) -> str:
    """The 17th digit: odd for men, even for women."""
    return "M" if int(number[16]) % 2 else "F"

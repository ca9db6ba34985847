"""The demo's seed texts and tables (demo/data/*.toml), read as plain values.

Dates and times are TOML dates and times; amounts are strings ("5500"), which
the models' validation turns into decimals; choices are their stored values.
"""
import tomllib
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def load(name: str) -> dict:
    """demo/data/<name>.toml, fresh on every call (callers may change what they get)."""
    with open(DATA / f"{name}.toml", "rb") as file:
        return tomllib.load(file)

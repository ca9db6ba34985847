"""Recount every district's roll-up figures (the nightly run, from cron or a systemd timer).

Counts here, one district at a time (one transaction each); the pages read the rows written.
Without --year, each district's current credit year."""
from django.core.management.base import BaseCommand

from core.limits import MAX_YEAR, MIN_YEAR
from oversight.services import figures_refresh_all


class Command(BaseCommand):
    help = "Recount the roll-up figures (summary table) of every district for a credit year."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="credit year (default: each district's current one)")

    def handle(self, *args, year=None, **options):
        if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
            self.stderr.write(f"--year must be between {MIN_YEAR} and {MAX_YEAR}.")
            raise SystemExit(2)
        for district, district_year, rows in figures_refresh_all(year=year):
            self.stdout.write(f"{district.name} {district_year}: {rows}")

"""Italian and English for the console: gettext catalogs read from .po files, Babel formatting.

The .po files are the only translation artefact kept in the repository; they are compiled in
memory when first needed, so there is no generated .mo file to fall out of step with them.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

LOCALES = ("it", "en")
LOCALE_NAMES = {"it": "Italiano", "en": "English"}
_CATALOGS = Path(__file__).parent / "translations"


def supported(locale: str | None) -> str | None:
    """``locale`` if the console speaks it, else None."""
    return locale if locale in LOCALES else None


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> Translations:
    """The gettext catalog of ``locale``, compiled on first use from ``messages.po`` plus one .po
    file per console area (``orders.po``, ``customers.po``, ...), so areas translate independently."""
    folder = _CATALOGS / locale / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as source:
        catalog = read_po(source, locale=locale)
    for extra in sorted(folder.glob("*.po")):
        if extra.name == "messages.po":
            continue
        with extra.open("rb") as source:
            for message in read_po(source, locale=locale):
                if message.id:
                    catalog[message.id] = message
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain="messages")


class Formats:
    """Numbers, dates and weekday names the way ``locale`` writes them."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self._babel = Locale.parse(locale)

    def number(self, value: float | int, digits: int = 0) -> str:
        pattern = "#,##0" + (("." + "0" * digits) if digits else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def km(self, value: float) -> str:
        return self.number(value, 1 if value < 100 else 0) + " km"

    def weekday(self, index: int, width: str = "wide") -> str:
        """Name of weekday ``index`` (0 = Monday, as ``datetime.weekday()``)."""
        return str(self._babel.days["format"][width][index]).capitalize()

    def date(self, value: date, fmt: str = "medium") -> str:
        return format_date(value, format=fmt, locale=self.locale)

    def time(self, value: datetime, timezone: str | None = None) -> str:
        return format_time(value, format="short", tzinfo=_zone(timezone), locale=self.locale)

    def datetime(self, value: datetime, timezone: str | None = None) -> str:
        return format_datetime(value, format="short", tzinfo=_zone(timezone), locale=self.locale)


def _zone(name: str | None) -> ZoneInfo | None:
    return ZoneInfo(name) if name else None

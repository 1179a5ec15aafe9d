"""Dates written with month names, in the languages we ingest, and the time zones they name.

feedparser and ``email.utils`` read RFC 822 dates with English month names only, and take a
zone name they do not know (WIB, CET) for UTC: "Senin, 12 Januari 2026 10:00 WIB" is lost
and "Mon, 12 Jan 2026 10:00 WIB" comes out seven hours late. This module reads

* day, month name, year: "12 Mei 2025", "3. März 2025", "3 de marzo de 2025", "1er avril
  2026", "12-Jan-2026"; month name, day, year: "January 12, 2026";
* in English, French, Indonesian, Malay, Spanish, German, Italian, Portuguese and Dutch
  (full names and the usual abbreviations, with or without accents), weekdays ignored;
* an optional time after it ("10:00", "19.30", "14h05", "2:30 pm", after "pukul", "à",
  "um", "|" ...) and a zone: a name from ``ZONES`` (WIB +7, WITA +8, WIT +9, CET ...), an
  offset ("+0700", "GMT+7", "UTC+07:00") or none (then UTC, as everywhere else);
* and nothing else: no relative dates ("kemarin", "2 hours ago"), no numeric day/month
  orders (03/04/2025 is ambiguous), no date without a day; a zone name it does not know
  ("IST" is three zones) makes the date unread rather than hours wrong.

A table of our own, not dateparser (which trafilatura already installs). Restricted to these
languages and to absolute dates, dateparser reads our test strings as this does, but costs
~100 ms to import, 200-390 ms on its first call in each process and ~4 ms per string after
that (it tries every locale), where this takes ~15 µs; and it is looser where it matters
("03/04/2025" month first, "IST" as Israel).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import NamedTuple

_MONTH_NAMES: dict[int, str] = {
    1: "january jan januari janvier janv enero ene januar jänner jaenner gennaio gen janeiro",
    2: "february feb februari février fevrier févr fevr fév fev febrero februar febr "
       "febbraio fevereiro",
    3: "march mar maret mars marzo märz maerz marz mrz mac março marco maart mrt",
    4: "april apr avril avr abril abr aprile",
    5: "may mei mai mayo maggio mag maio",
    6: "june jun juni juin junio giugno giu junho",
    7: "july jul juli julai juillet juil julio luglio lug julho",
    8: "august aug agustus agu agt ags ogos ogo août aout agosto ago augustus",
    9: "september sep sept septembre septiembre setiembre settembre sett set setembro",
    10: "october oct oktober okt octobre octubre ottobre ott outubro out",
    11: "november nov novembre noviembre novembro",
    12: "december dec desember des disember dis décembre decembre déc diciembre dic "
        "dezember dez dicembre dezembro",
}
MONTHS: dict[str, int] = {
    name: number for number, names in _MONTH_NAMES.items() for name in names.split()
}

# Zone names and their UTC offsets in hours. US names as RFC 822 reads them; Indonesia's
# WIB/WITA/WIT; the European ones in their English and German forms.
ZONES: dict[str, float] = {
    "utc": 0, "gmt": 0, "ut": 0, "z": 0, "wet": 0, "west": 1, "bst": 1, "cet": 1, "cest": 2,
    "met": 1, "mest": 2, "mez": 1, "mesz": 2, "eet": 2, "eest": 3, "msk": 3,
    "wib": 7, "wita": 8, "wit": 9, "ict": 7, "sgt": 8, "myt": 8, "hkt": 8, "pht": 8,
    "jst": 9, "kst": 9, "awst": 8, "acst": 9.5, "aest": 10, "aedt": 11, "nzst": 12,
    "nzdt": 13, "brt": -3, "art": -3, "est": -5, "edt": -4, "cst": -6, "cdt": -5,
    "mst": -7, "mdt": -6, "pst": -8, "pdt": -7, "akst": -9, "akdt": -8, "hst": -10,
}
# Names RFC 822 readers (feedparser, email.utils) already turn into the right offset.
RFC822_ZONES = frozenset({"ut", "utc", "gmt", "z", "est", "edt", "cst", "cdt", "mst", "mdt",
                          "pst", "pdt"})
MAX_CHARS = 120
_MIN_YEAR = 1900

_WORD = r"(?P<month>[^\W\d_]{3,10})\.?"
_DAY_MONTH_YEAR = re.compile(
    rf"(?<!\d)(?P<day>\d{{1,2}})(?:\.|er|º|ª|st|nd|rd|th)?[\s/-]*(?:de\s+|of\s+)?{_WORD}[\s/,-]*"
    rf"(?:de\s+|del\s+)?(?P<year>\d{{4}})(?!\d)", re.I)
_MONTH_DAY_YEAR = re.compile(
    rf"(?<![^\W\d_]){_WORD}\s*(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})(?!\d)",
    re.I)
_ISO_DAY = re.compile(r"(?<!\d)(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?!\d)")
_TIME = re.compile(
    r"(?:T|\s*[,|·@–—-]?\s*(?:(?:à|a\s+las|a\s+la|alle\s+ore|alle|ore|às|um|om|pukul|jam|"
    r"at|kl\.?)\s*)?)"
    r"(?P<hour>\d{1,2})[:.h](?P<minute>\d{2})(?:[:.](?P<second>\d{2})(?:[.,]\d+)?)?(?!\d)"
    r"(?:\s*(?P<ampm>[ap])\.?\s?m\b\.?)?(?:\s*(?:uhr|hrs?|h)\b\.?)?", re.I)
_ZONE = re.compile(
    r"\s*\(?\s*(?:(?P<name>[^\W\d_]{1,5})(?![^\W\d_]))?\s*"
    r"(?P<offset>[+\-−]\s?\d{1,2}(?::?\d{2})?)?(?!\d)")


class _Reading(NamedTuple):
    value: datetime
    zone: str | None  # the zone name the text gave, lower-case


def parse_date_text(raw: str) -> datetime | None:
    """A date with a month name (see the module doc) as aware UTC, else None."""
    reading = _read(raw)
    return reading.value if reading else None


def reread(parsed: datetime | None, raw: str | None) -> datetime | None:
    """Another parser's reading of ``raw``, or ours where it read nothing, or read a zone name
    RFC 822 does not define (WIB, CET) as UTC."""
    if not raw:
        return parsed
    reading = _read(raw)
    if reading is None:
        return parsed
    if parsed is None or (reading.zone is not None and reading.zone not in RFC822_ZONES):
        return reading.value
    return parsed


def _read(raw: str) -> _Reading | None:
    text = raw.strip()
    if not text or len(text) > MAX_CHARS:
        return None
    found = _find_day(text)
    if found is None:
        return None
    year, month, day, end = found
    hour = minute = second = 0
    zone: str | None = None
    offset = timedelta(0)
    time = _TIME.match(text, end)
    if time is not None:
        clock = _clock(time)
        if clock is None:
            return None
        hour, minute, second = clock
        zoned = _zone(text, time.end())
        if zoned is None:
            return None
        zone, offset = zoned
    try:
        local = datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset))
        value = local.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return _Reading(value, zone) if year >= _MIN_YEAR else None


def _find_day(text: str) -> tuple[int, int, int, int] | None:
    """Year, month, day and where they end, from the first date-shaped run of ``text``."""
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        for match in pattern.finditer(text):
            month = MONTHS.get(match["month"].casefold())
            if month is not None:
                return int(match["year"]), month, int(match["day"]), match.end()
    iso = _ISO_DAY.search(text)
    if iso is not None:
        return int(iso["year"]), int(iso["month"]), int(iso["day"]), iso.end()
    return None


def _clock(match: re.Match[str]) -> tuple[int, int, int] | None:
    hour, minute = int(match["hour"]), int(match["minute"])
    second = min(int(match["second"] or 0), 59)  # a leap second is kept in its minute
    if match["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["ampm"].lower() == "p" else 0)
    if hour > 23 or minute > 59:
        return None
    return hour, minute, second


def _zone(text: str, start: int) -> tuple[str | None, timedelta] | None:
    """The zone after a time: (name, offset); (None, 0) when none; None when unknown."""
    match = _ZONE.match(text, start)
    name = match["name"] if match else None
    offset_text = match["offset"] if match else None
    if name is not None and name.casefold() not in ZONES:
        if name.isupper() and 2 <= len(name) <= 5 and not offset_text:
            return None  # a zone we do not know: better unread than hours wrong
        return None, timedelta(0)  # a word after the time ("oleh", "Uhr"), not a zone
    key = name.casefold() if name else None
    if offset_text and key in (None, "utc", "gmt", "ut"):
        sign = -1 if offset_text[0] in "-−" else 1
        digits = offset_text[1:].replace(" ", "").replace(":", "")
        hours, minutes = (int(digits), 0) if len(digits) <= 2 else (
            int(digits[:-2]), int(digits[-2:]))
        if hours > 14 or minutes > 59:
            return None
        return key, sign * timedelta(hours=hours, minutes=minutes)
    if key is None:
        return None, timedelta(0)
    return key, timedelta(hours=ZONES[key])

"""Persian and Arabic dates: the Solar Hijri and lunar Hijri calendars, month and weekday
names, digits.

Pure functions, no Whoosh. Three callers:

* `stories.parse_date_line` falls back on `parse_date_line` here for a story's date line
  written the Persian or Arabic way -- `یکشنبه ۷ مهر ۱۳۸۷ - ۰۲:۵۵` (Solar Hijri),
  `الأربعاء 22 يوليو 2015 - 09:56` or `الثلاثاء 21 تموز 2015 ساعت 02:48` (Gregorian),
  `الجمعة 1 شوال 1436 هـ` (lunar Hijri, Umm al-Qura, through the `hijridate` package);
* `dates._period` falls back on `parse_period` for `--since`/`--until` written that way
  (`۲۹ فروردین ۱۴۰۳` is a day, `فروردین ۱۴۰۳` a month);
* `stories.parse_story` reads `کد خبر : ۸۷۰۷۰۶۰۲۵۵` and `رمز الخبر : ...` codes through
  `ascii_digits`.

Names are matched after `fold_name`, so `فروردين` (Arabic yeh) is `فروردین`, `سه‌شنبه`
(with a zero-width non-joiner) is `سه شنبه` and `سهشنبه`, and `أيار` is `ايار`.

The Solar Hijri calendar is reckoned arithmetically (the year starts at Nowruz, found with
the 33-year cycles between the "break" years of the astronomical calendar, as in
Borkowski's method); tests hold it to an astronomical conversion and to published dates.
The lunar Hijri calendar depends on sightings and tables, so it is left to `hijridate`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

DIGITS = str.maketrans(
    "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9"
    "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
    "0123456789" * 2,
)
"""Persian (extended Arabic-Indic) and Arabic-Indic digits to ASCII."""


def ascii_digits(text: str) -> str:
    """`text` with Persian and Arabic-Indic digits written as ASCII digits.

    >>> ascii_digits("کد ۸۷۰۷ / ٢٠١٥")
    'کد 8707 / 2015'
    """
    return text.translate(DIGITS)


_NAME_FOLD = str.maketrans(
    {
        "\u064a": "\u06cc",  # Arabic yeh -> Persian yeh
        "\u0649": "\u06cc",  # alef maksura
        "\u0643": "\u06a9",  # Arabic kaf -> keheh
        "\u0623": "\u0627",  # alef with hamza above
        "\u0625": "\u0627",  # alef with hamza below
        "\u0622": "\u0627",  # alef with madda
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u0640": None,  # tatweel
        "\u200c": None,  # zero-width non-joiner
        " ": None,
    }
)
_MARKS = re.compile("[\u064b-\u065f\u0670]")


def fold_name(name: str) -> str:
    """A month or weekday name as it is looked up: Arabic and Persian letter forms made
    one, hamza on alef, diacritics, tatweel, spaces and non-joiners dropped, lower case.

    >>> fold_name("سه‌شنبه") == fold_name("سه شنبه") == fold_name("سهشنبه")
    True
    """
    return _MARKS.sub("", name).translate(_NAME_FOLD).lower()


SOLAR_HIJRI = "solar-hijri"
GREGORIAN = "gregorian"
HIJRI = "hijri"
"""The lunar Hijri calendar as Saudi Arabia reckons it (Umm al-Qura), 1343-1500 AH."""

_SOLAR_HIJRI_MONTHS = (
    ("فروردین",),
    ("اردیبهشت",),
    ("خرداد",),
    ("تیر",),
    ("مرداد", "امرداد"),
    ("شهریور",),
    ("مهر",),
    ("آبان",),
    ("آذر",),
    ("دی",),
    ("بهمن",),
    ("اسفند",),
)
_GREGORIAN_MONTHS = (
    # Egyptian/Gulf, Levantine/Iraqi, Maghrebi Arabic names, then Persian ones.
    ("يناير", "كانون الثاني", "جانفي", "ژانویه"),
    ("فبراير", "شباط", "فيفري", "فوریه"),
    ("مارس", "آذار"),
    ("أبريل", "إبريل", "نيسان", "أفريل", "آوریل"),
    ("مايو", "أيار", "ماي", "مه", "می"),
    ("يونيو", "يونيه", "حزيران", "جوان", "ژوئن"),
    ("يوليو", "يوليه", "تموز", "جويلية", "ژوئیه", "جولای"),
    ("أغسطس", "آب", "أوت", "اوت", "اگوست"),
    ("سبتمبر", "أيلول", "سپتامبر"),
    ("أكتوبر", "تشرين الأول", "اکتبر"),
    ("نوفمبر", "تشرين الثاني", "نوامبر"),
    ("ديسمبر", "كانون الأول", "دسامبر"),
)
_HIJRI_MONTHS = (
    ("محرم",),
    ("صفر",),
    ("ربيع الأول", "ربيع أول"),
    ("ربيع الآخر", "ربيع الثاني", "ربيع ثاني"),
    ("جمادى الأولى", "جمادى الأول"),
    ("جمادى الآخرة", "جمادى الثانية", "جمادى الآخر"),
    ("رجب",),
    ("شعبان",),
    ("رمضان",),
    ("شوال",),
    ("ذو القعدة", "ذي القعدة"),
    ("ذو الحجة", "ذي الحجة"),
)
MONTH_NAMES: dict[str, tuple[str, int]] = {
    fold_name(name): (calendar, number)
    for calendar, table in (
        (SOLAR_HIJRI, _SOLAR_HIJRI_MONTHS),
        (GREGORIAN, _GREGORIAN_MONTHS),
        (HIJRI, _HIJRI_MONTHS),
    )
    for number, names in enumerate(table, start=1)
    for name in names
}
"""Folded month name -> (calendar, month number)."""

_WEEKDAY_NAMES = (  # Monday first, as `date.weekday()` counts
    ("دوشنبه", "الاثنين", "الإثنين", "اثنين"),
    ("سه‌شنبه", "الثلاثاء", "ثلاثاء"),
    ("چهارشنبه", "الأربعاء", "أربعاء"),
    ("پنجشنبه", "الخميس", "خميس"),
    ("جمعه", "الجمعة", "جمعة"),
    ("شنبه", "السبت", "سبت"),
    ("یکشنبه", "الأحد", "أحد"),
)
WEEKDAYS: dict[str, int] = {
    fold_name(name): number for number, names in enumerate(_WEEKDAY_NAMES) for name in names
}
"""Folded weekday name -> `date.weekday()` number (Monday 0)."""

_WORD = r"[^\W\d_]+"
_NAME = rf"{_WORD}(?:[ \u200c]{_WORD})?"
_ERA = r"(?:\s*(?:هـ|ه\.\s?[قش]\.?|م)(?!\w))?"
"""`هـ` or `ه.ق` (lunar Hijri), `ه.ش` (Solar Hijri), `م` (Gregorian) after a year."""
_DAY_MONTH_YEAR = rf"(?P<day>\d{{1,2}})\s+(?P<month>{_NAME})\s*[,،]?\s+(?P<year>\d{{4}}){_ERA}"
_MORNING = ("ص", "صباحا", "صباحاً", "ق.ظ")
_AFTERNOON = ("م", "مساء", "مساءً", "ب.ظ")
_HALVES = "|".join(re.escape(h) for h in sorted(_MORNING + _AFTERNOON, key=len, reverse=True))
_DATE_LINE = re.compile(
    rf"""^(?:(?P<weekday>{_NAME})\s*[,،]?\s+)?{_DAY_MONTH_YEAR}
        (?:(?:\s*[-\u2013\u2014,،])?(?:\s*(?:ساعت|الساعة))?
           \s*(?P<hour>\d{{1,2}})[:\u066b](?P<minute>\d{{2}})(?:\s*(?P<half>{_HALVES}))?)?
        \s*$""",
    re.VERBOSE,
)
_PERIOD = re.compile(
    rf"^(?:(?P<day>\d{{1,2}})\s+)?(?P<month>{_NAME})\s*[,،]?\s+(?P<year>\d{{4}}){_ERA}$"
)

# Years at which the pattern of leap years of the astronomical Solar Hijri calendar
# changes phase within its 33-year cycles.
_BREAKS = (
    -61,
    9,
    38,
    199,
    426,
    686,
    756,
    818,
    1111,
    1181,
    1210,
    1635,
    2060,
    2097,
    2192,
    2262,
    2324,
    2394,
    2456,
    3178,
)
FIRST_YEAR, LAST_YEAR = 1, _BREAKS[-1] - 1
"""The Solar Hijri years this module converts."""


def _nowruz_march_day(year: int) -> int:
    """The day of March (Gregorian year `year + 621`) on which Solar Hijri `year` begins."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"Solar Hijri year {year} is out of range")
    leaps = -14  # leap days counted from the first break
    start = _BREAKS[0]
    for end in _BREAKS[1:]:
        span = end - start
        if year < end:
            break
        leaps += span // 33 * 8 + span % 33 // 4
        start = end
    into = year - start
    leaps += into // 33 * 8 + (into % 33 + 3) // 4
    if span % 33 == 4 and span - into == 4:
        leaps += 1
    gyear = year + 621
    gregorian_leaps = gyear // 4 - (gyear // 100 + 1) * 3 // 4 - 150
    return 20 + leaps - gregorian_leaps


def _nowruz(year: int) -> date:
    return date(year + 621, 3, _nowruz_march_day(year))


def _days_before_month(month: int) -> int:
    return (month - 1) * 31 if month <= 7 else 186 + (month - 7) * 30


def is_solar_hijri_leap(year: int) -> bool:
    """Whether Solar Hijri `year` has 366 days (a 30th of Esfand).

    >>> is_solar_hijri_leap(1403), is_solar_hijri_leap(1404)
    (True, False)
    """
    return (_nowruz(year + 1) - _nowruz(year)).days == 366


def solar_hijri_to_gregorian(year: int, month: int, day: int) -> date:
    """The Gregorian date of Solar Hijri `day` `month` `year`; ValueError if there is none.

    year: the Solar Hijri year (1 to 3177).
    month: 1 (Farvardin) to 12 (Esfand).
    day: 1 to 31 (months 1-6), 30 (months 7-11) or 29, or 30 in a leap year (month 12).

    >>> solar_hijri_to_gregorian(1403, 1, 29)
    datetime.date(2024, 4, 17)
    """
    if not 1 <= month <= 12:
        raise ValueError(f"no Solar Hijri month {month}")
    length = 31 if month <= 6 else 30 if month <= 11 or is_solar_hijri_leap(year) else 29
    if not 1 <= day <= length:
        raise ValueError(f"no day {day} in Solar Hijri month {month} of {year}")
    return _nowruz(year) + timedelta(days=_days_before_month(month) + day - 1)


def gregorian_to_solar_hijri(when: date) -> tuple[int, int, int]:
    """The Solar Hijri (year, month, day) of a Gregorian date.

    >>> gregorian_to_solar_hijri(date(2024, 4, 17))
    (1403, 1, 29)
    """
    year = when.year - 621
    start = _nowruz(year)
    if when < start:
        year -= 1
        start = _nowruz(year)
    days = (when - start).days
    month = days // 31 + 1 if days < 186 else (days - 186) // 30 + 7
    return year, month, days - _days_before_month(month) + 1


def hijri_to_gregorian(year: int, month: int, day: int) -> date:
    """The Gregorian date of a lunar Hijri date (Umm al-Qura); ValueError if there is
    none or it lies outside 1343-1500 AH.

    >>> hijri_to_gregorian(1436, 10, 1)
    datetime.date(2015, 7, 17)
    """
    from hijridate import Hijri  # its tables load only when a Hijri date is read

    try:
        found = Hijri(year, month, day).to_gregorian()
    except OverflowError as e:
        raise ValueError(str(e)) from None
    return date(found.year, found.month, found.day)


def _to_date(calendar: str, year: int, month: int, day: int) -> date:
    if calendar == SOLAR_HIJRI:
        return solar_hijri_to_gregorian(year, month, day)
    if calendar == HIJRI:
        return hijri_to_gregorian(year, month, day)
    return date(year, month, day)


def parse_date_line(line: str) -> tuple[datetime | None, str | None]:
    """Parse a Persian or Arabic date line, with the contract of `stories.parse_date_line`.

    An optional weekday, the day, the month name (Solar Hijri months make a Solar Hijri
    date, lunar Hijri months a Hijri one, Arabic and Persian names of Gregorian months a
    Gregorian one), the year (perhaps followed by `هـ`, `ه.ش` or `م`) and an optional time
    after `-`, `،`, `ساعت` or `الساعة` (24-hour, or 12-hour followed by `ص`/`م` or
    `ق.ظ`/`ب.ظ`), in any digits. Returns `(date, None)` for a good
    date, `(date, warning)` when the weekday does not fit it, `(None, warning)` for an
    impossible date, and `(None, None)` for a line that is no date line.

    >>> parse_date_line("چهارشنبه ۲۹ فروردین ۱۴۰۳ - ۰۹:۲۹")
    (datetime.datetime(2024, 4, 17, 9, 29), None)
    >>> parse_date_line("الأربعاء 22 تموز 2015 - 09:56")
    (datetime.datetime(2015, 7, 22, 9, 56), None)
    """
    m = _DATE_LINE.match(line.strip())
    if not m:
        return None, None
    found = MONTH_NAMES.get(fold_name(m["month"]))
    weekday = m["weekday"]
    if found is None or (weekday and fold_name(weekday) not in WEEKDAYS):
        return None, None
    calendar, month = found
    try:
        day = _to_date(calendar, int(m["year"]), month, int(m["day"]))
        hour = int(m["hour"] or 0)
        if m["half"] is not None and not 1 <= hour <= 12:
            raise ValueError(f"hour {hour} of a half day")
        if m["half"] is not None:  # 12 ص is midnight, 12 م noon
            hour = hour % 12 + (12 if m["half"] in _AFTERNOON else 0)
        when = datetime.combine(day, datetime.min.time()).replace(
            hour=hour, minute=int(m["minute"] or 0)
        )
    except ValueError:
        return None, f"impossible date {line.strip()!r}; indexed without a date"
    if weekday and WEEKDAYS[fold_name(weekday)] != when.weekday():
        return when, f"{weekday} does not match {when:%A %d %B %Y}; kept the date"
    return when, None


def parse_period(text: str) -> tuple[datetime, datetime] | None:
    """The day or month that `text` names the Persian or Arabic way, as (first moment,
    first moment after); None when `text` is not of that form. ValueError for a day or
    month that does not exist.

    >>> parse_period("۲۹ فروردین ۱۴۰۳")
    (datetime.datetime(2024, 4, 17, 0, 0), datetime.datetime(2024, 4, 18, 0, 0))
    >>> parse_period("اسفند ۱۴۰۲")
    (datetime.datetime(2024, 2, 20, 0, 0), datetime.datetime(2024, 3, 20, 0, 0))
    """
    m = _PERIOD.match(" ".join(text.split()))
    if not m or (found := MONTH_NAMES.get(fold_name(m["month"]))) is None:
        return None
    calendar, month = found
    year = int(m["year"])
    if m["day"] is not None:
        first = _to_date(calendar, year, month, int(m["day"]))
        after = first + timedelta(days=1)
    else:
        first = _to_date(calendar, year, month, 1)
        after = _to_date(calendar, year + month // 12, month % 12 + 1, 1)
    midnight = datetime.min.time()
    return datetime.combine(first, midnight), datetime.combine(after, midnight)

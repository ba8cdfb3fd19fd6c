"""Persian and Arabic dates and story codes, held to independent conversions and to the
Persian and Arabic sample corpora."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import jdatetime
import pytest
from convertdate import islamic, persian

from newssearch.errors import QueryError
from newssearch.searching.dates import parse_date
from newssearch.stories import calendars
from newssearch.stories.dates import parse_date_line
from newssearch.stories.parse import read_story

from .conftest import SHARED, story_text

PERSIAN_TAR = SHARED / "corpora" / "persian-fars-stories.tar.gz"
ARABIC_TAR = SHARED / "corpora" / "arabic-saudinewsnet-stories.tar.gz"


def test_every_day_of_two_centuries_converts_as_jdatetime_does() -> None:
    day, last = date(1925, 3, 21), date(2125, 3, 21)
    while day < last:
        j = jdatetime.date.fromgregorian(date=day)
        expected = (j.year, j.month, j.day)
        assert calendars.gregorian_to_solar_hijri(day) == expected, day
        assert calendars.solar_hijri_to_gregorian(*expected) == day, expected
        day += timedelta(days=1)


def test_nowruz_falls_on_the_astronomical_equinox_day() -> None:
    # convertdate reckons each year from the March equinox at the Tehran meridian.
    for year in range(1300, 1501):
        assert calendars.solar_hijri_to_gregorian(year, 1, 1) == date(
            *persian.to_gregorian(year, 1, 1)
        ), year


@pytest.mark.parametrize(
    ("solar_hijri", "gregorian"),
    [
        ((1403, 1, 29), date(2024, 4, 17)),
        ((1403, 1, 1), date(2024, 3, 20)),
        ((1403, 12, 30), date(2025, 3, 20)),  # 1403 is a leap year
        ((1404, 1, 1), date(2025, 3, 21)),
        ((1387, 7, 7), date(2008, 9, 28)),
        ((1357, 11, 22), date(1979, 2, 11)),
        ((1304, 1, 1), date(1925, 3, 21)),
    ],
)
def test_published_dates(solar_hijri: tuple[int, int, int], gregorian: date) -> None:
    assert calendars.solar_hijri_to_gregorian(*solar_hijri) == gregorian
    assert calendars.gregorian_to_solar_hijri(gregorian) == solar_hijri


@pytest.mark.parametrize(
    ("hijri", "gregorian"),
    [
        ((1436, 10, 1), date(2015, 7, 17)),  # Eid al-Fitr 2015 in Saudi Arabia
        ((1445, 9, 1), date(2024, 3, 11)),  # Ramadan 2024
        ((1445, 12, 10), date(2024, 6, 16)),  # Eid al-Adha 2024
        ((1446, 1, 1), date(2024, 7, 7)),
    ],
)
def test_published_hijri_dates(hijri: tuple[int, int, int], gregorian: date) -> None:
    assert calendars.hijri_to_gregorian(*hijri) == gregorian


def test_hijri_months_start_within_two_days_of_the_arithmetic_calendar() -> None:
    # Umm al-Qura follows the moon; the arithmetic calendar drifts from it by a day or two.
    for year in range(1343, 1501):
        for month in range(1, 13):
            tabular = date(*islamic.to_gregorian(year, month, 1))
            assert abs(calendars.hijri_to_gregorian(year, month, 1) - tabular) <= timedelta(2)


@pytest.mark.parametrize("day", [(1436, 9, 30), (1300, 1, 1), (1436, 13, 1)])
def test_hijri_days_that_do_not_exist_or_lie_outside_the_tables(day: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError):
        calendars.hijri_to_gregorian(*day)


@pytest.mark.parametrize("day", [(1402, 12, 30), (1403, 7, 31), (1403, 13, 1), (1403, 0, 1)])
def test_days_that_do_not_exist(day: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError):
        calendars.solar_hijri_to_gregorian(*day)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("چهارشنبه ۲۹ فروردین ۱۴۰۳ - ۰۹:۲۹", datetime(2024, 4, 17, 9, 29)),
        ("چهارشنبه ۲۹ فروردين ۱۴۰۳ - ۰۹:۲۹", datetime(2024, 4, 17, 9, 29)),
        ("چهارشنبه 29 فروردین 1403 - 09:29", datetime(2024, 4, 17, 9, 29)),
        ("۲۹ فروردین ۱۴۰۳", datetime(2024, 4, 17)),
        ("یکشنبه ۷ مهر ۱۳۸۷ ساعت ۰۲:۵۵", datetime(2008, 9, 28, 2, 55)),
        ("يکشنبه ۷ مهر ۱۳۸۷ - ۰۲:۵۵", datetime(2008, 9, 28, 2, 55)),
        ("سه‌شنبه ۹ مهر ۱۳۸۷", datetime(2008, 9, 30)),
        ("سه شنبه ۹ مهر ۱۳۸۷", datetime(2008, 9, 30)),
        ("پنج‌شنبه ۳۰ اسفند ۱۴۰۳ - ۲۳:۵۹", datetime(2025, 3, 20, 23, 59)),
        ("الأربعاء 22 يوليو 2015 - 09:56", datetime(2015, 7, 22, 9, 56)),
        ("الأربعاء ٢٢ يوليو ٢٠١٥ - ٠٩:٥٦", datetime(2015, 7, 22, 9, 56)),
        ("الثلاثاء 21 تموز 2015 - 02:48", datetime(2015, 7, 21, 2, 48)),
        ("الاربعاء 1 كانون الثاني 2014", datetime(2014, 1, 1)),
        ("الجمعة 11 تشرين الأول 2024 - 10:00", datetime(2024, 10, 11, 10)),
        ("السبت 17 آب 2024", datetime(2024, 8, 17)),
        ("22 أيار 2024", datetime(2024, 5, 22)),
        ("جمعه ۲۵ دسامبر ۲۰۲۰", datetime(2020, 12, 25)),
        ("الأربعاء 22 يوليو 2015م - 09:56", datetime(2015, 7, 22, 9, 56)),
        ("یکشنبه ۷ مهر ۱۳۸۷ ه.ش - ۰۲:۵۵", datetime(2008, 9, 28, 2, 55)),
        ("الجمعة 1 شوال 1436 هـ - 10:00", datetime(2015, 7, 17, 10)),
        ("الاثنين ١ رمضان ١٤٤٥", datetime(2024, 3, 11)),
        ("الأحد 10 ذو الحجة 1445", datetime(2024, 6, 16)),
        ("یکشنبه ۱ محرم ۱۴۴۶ ه.ق", datetime(2024, 7, 7)),
        ("۷ مهر ۱۳۸۷، ساعت ۰۲:۵۵", datetime(2008, 9, 28, 2, 55)),
        ("یکشنبه ۷ مهر ۱۳۸۷ - ۰۲:۵۵ ب.ظ", datetime(2008, 9, 28, 14, 55)),
        ("الأربعاء 22 يوليو 2015 - 09:56 م", datetime(2015, 7, 22, 21, 56)),
        ("الأربعاء 22 يوليو 2015 - 09:56 ص", datetime(2015, 7, 22, 9, 56)),
        ("الأربعاء 22 يوليو 2015 الساعة 12:05 ص", datetime(2015, 7, 22, 0, 5)),
        ("الأربعاء 22 يوليو 2015 - 12:05 مساءً", datetime(2015, 7, 22, 12, 5)),
    ],
)
def test_persian_and_arabic_date_lines(line: str, expected: datetime) -> None:
    assert parse_date_line(line) == (expected, None)


def test_a_weekday_that_does_not_fit_keeps_the_date_with_a_warning() -> None:
    when, warning = parse_date_line("دوشنبه ۲۹ فروردین ۱۴۰۳ - ۰۹:۲۹")
    assert when == datetime(2024, 4, 17, 9, 29)
    assert warning == "دوشنبه does not match Wednesday 17 April 2024; kept the date"
    when, warning = parse_date_line("الخميس 22 يوليو 2015")
    assert when == datetime(2015, 7, 22)
    assert warning is not None and warning.startswith("الخميس does not match")


@pytest.mark.parametrize(
    "line",
    ["شنبه ۳۱ مهر ۱۴۰۳", "۳۰ اسفند ۱۴۰۲", "الأربعاء 31 حزيران 2015", "۲۹ فروردین ۱۴۰۳ - ۲۵:۹۹"],
)
def test_impossible_dates_are_warnings(line: str) -> None:
    when, warning = parse_date_line(line)
    assert when is None
    assert warning is not None and warning.startswith("impossible date")


@pytest.mark.parametrize(
    "line",
    [
        "صورت‌های مالی سال ۸۳ بانک ملی ایران تصویب شد",
        "۲۹ فروردینی ۱۴۰۳",  # not a month
        "فردا ۲۹ فروردین ۱۴۰۳",  # not a weekday
        "کد خبر : 8707060255",
        "۲۹ فروردین",
    ],
)
def test_lines_that_are_not_date_lines(line: str) -> None:
    assert parse_date_line(line) == (None, None)


@pytest.mark.parametrize(
    ("code_line", "code"),
    [
        ("کد خبر : 8707060255", "8707060255"),
        ("کد خبر : ۸۷۰۷۰۶۰۲۵۵", "8707060255"),
        ("كد خبر: ۰۰۱۲", "12"),
        ("کد\u200cخبر : 42", "42"),
        ("رمز الخبر : 123456789", "123456789"),
        ("رمز الخبر : ١٢٣٤٥٦٧٨٩", "123456789"),
        ("Story Code : 7", "7"),
    ],
)
def test_persian_and_arabic_code_lines(tmp_path: Path, code_line: str, code: str) -> None:
    path = tmp_path / "s.txt"
    text = story_text(headline="خبر", body="متن", code="0").replace("Story Code : 0", code_line)
    path.write_text(text, encoding="utf-8")
    parsed = read_story(str(path), "s.txt")
    assert parsed.story.code == code
    assert parsed.story.headline == "خبر"
    assert parsed.story.body == "متن"


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("۲۹ فروردین ۱۴۰۳", datetime(2024, 4, 17), datetime(2024, 4, 17, 23, 59, 59, 999999)),
        ("فروردین ۱۴۰۳", datetime(2024, 3, 20), datetime(2024, 4, 19, 23, 59, 59, 999999)),
        ("اسفند ۱۴۰۳", datetime(2025, 2, 19), datetime(2025, 3, 20, 23, 59, 59, 999999)),
        ("اسفند 1402", datetime(2024, 2, 20), datetime(2024, 3, 19, 23, 59, 59, 999999)),
        ("۲۲ تموز ۲۰۱۵", datetime(2015, 7, 22), datetime(2015, 7, 22, 23, 59, 59, 999999)),
        ("ديسمبر 2015", datetime(2015, 12, 1), datetime(2015, 12, 31, 23, 59, 59, 999999)),
        ("رمضان 1445", datetime(2024, 3, 11), datetime(2024, 4, 9, 23, 59, 59, 999999)),
        ("رمضان 1445 هـ", datetime(2024, 3, 11), datetime(2024, 4, 9, 23, 59, 59, 999999)),
    ],
)
def test_user_dates_the_persian_and_arabic_way(text: str, first: datetime, last: datetime) -> None:
    assert parse_date(text) == first
    assert parse_date(text, end=True) == last


@pytest.mark.parametrize(
    ("text", "message"),
    [("۳۱ مهر ۱۴۰۳", "no such date"), ("فروردینی ۱۴۰۳", "cannot read date")],
)
def test_bad_user_dates(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse_date(text)


# The corpora: every story parses, with the date its line names and the code of its
# code line. The expected values are read here with the test's own simple parsing and
# converted with jdatetime, independently of the module under test.

_PERSIAN_MONTHS = [
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
]
_ARABIC_MONTHS = {"يوليو": 7, "تموز": 7}
_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "0123456789" * 2)


def _extracted(tar: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if not tar.exists():
        pytest.skip(f"{tar} is not there (the corpora live in ../shared)")
    target = tmp_path_factory.mktemp(tar.name.split("-")[0])
    with tarfile.open(tar) as archive:
        archive.extractall(target, filter="data")
    yield from sorted(target.rglob("*.txt"))


def _lines(path: Path) -> tuple[list[str], str]:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    date_line, code_line = lines[0].translate(_ASCII), lines[2].translate(_ASCII)
    return date_line.replace("-", " ").replace(":", " ").split(), code_line.split(":")[1].strip()


def test_every_persian_sample_story(tmp_path_factory: pytest.TempPathFactory) -> None:
    count = 0
    for path in _extracted(PERSIAN_TAR, tmp_path_factory):
        parsed = read_story(str(path), path.name)
        assert parsed.warnings == (), path.name
        words, code = _lines(path)
        day, month, year, hour, minute = words[-5:]
        number = _PERSIAN_MONTHS.index(month.replace("ي", "ی")) + 1
        expected = jdatetime.datetime(int(year), number, int(day), int(hour), int(minute))
        assert parsed.story.date == expected.togregorian(), path.name
        assert parsed.story.code == code == path.name.split("_")[0]
        count += 1
    assert count == 402


def test_every_arabic_sample_story(tmp_path_factory: pytest.TempPathFactory) -> None:
    count = 0
    for path in _extracted(ARABIC_TAR, tmp_path_factory):
        parsed = read_story(str(path), path.name)
        assert parsed.warnings == (), path.name
        words, code = _lines(path)
        day, month, year, hour, minute = words[-5:]
        expected = datetime(int(year), _ARABIC_MONTHS[month], int(day), int(hour), int(minute))
        assert parsed.story.date == expected, path.name
        assert parsed.story.code == code.lstrip("0")
        count += 1
    assert count == 6222

"""WorkingCalendar: weekdays that are not England & Wales bank holidays."""

from __future__ import annotations

import datetime as dt

import pytest

from rollout.planning.workdays import WorkingCalendar, working_calendar

D = dt.date


def test_weekends_and_bank_holidays_are_not_working_days(cal: WorkingCalendar) -> None:
    assert cal.is_working_day(D(2022, 12, 23))  # Friday
    assert not cal.is_working_day(D(2022, 12, 24))  # Saturday
    assert not cal.is_working_day(D(2022, 12, 25))  # Sunday, Christmas Day
    assert not cal.is_working_day(D(2022, 12, 26))  # Boxing Day
    assert not cal.is_working_day(D(2022, 12, 27))  # Christmas Day substitute
    assert cal.is_working_day(D(2022, 12, 28))
    assert not cal.is_working_day(D(2023, 1, 2))  # New Year's Day substitute
    assert not cal.is_working_day(D(2023, 5, 8))  # coronation bank holiday
    assert not cal.is_working_day(D(2023, 4, 7))  # Good Friday


def test_holiday_names_come_from_the_holidays_package(cal: WorkingCalendar) -> None:
    assert cal.holiday_name(D(2022, 12, 27)) == "Christmas Day (observed)"
    assert cal.holiday_name(D(2023, 1, 2)) == "New Year's Day (observed)"
    assert cal.holiday_name(D(2022, 12, 28)) is None
    assert cal.holiday_name(D(2022, 12, 24)) is None  # a weekend is not a holiday


def test_roll_forward_and_back_leave_working_days_alone(cal: WorkingCalendar) -> None:
    assert cal.roll_forward(D(2022, 12, 28)) == D(2022, 12, 28)
    assert cal.roll_back(D(2022, 12, 28)) == D(2022, 12, 28)


def test_roll_forward_and_back_cross_the_christmas_cluster(cal: WorkingCalendar) -> None:
    assert cal.roll_forward(D(2022, 12, 24)) == D(2022, 12, 28)
    assert cal.roll_back(D(2022, 12, 27)) == D(2022, 12, 23)
    assert cal.roll_forward(D(2022, 12, 31)) == D(2023, 1, 3)
    assert cal.roll_back(D(2023, 1, 2)) == D(2022, 12, 30)


def test_add_working_days_forwards_skips_weekends_and_holidays(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(D(2022, 12, 23), 1) == D(2022, 12, 28)
    assert cal.add_working_days(D(2022, 12, 23), 3) == D(2022, 12, 30)
    assert cal.add_working_days(D(2022, 12, 30), 1) == D(2023, 1, 3)
    assert cal.add_working_days(D(2023, 3, 3), 1) == D(2023, 3, 6)


def test_add_working_days_backwards_skips_weekends_and_holidays(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(D(2023, 1, 3), -1) == D(2022, 12, 30)
    assert cal.add_working_days(D(2022, 12, 28), -1) == D(2022, 12, 23)
    assert cal.add_working_days(D(2023, 3, 6), -1) == D(2023, 3, 3)


def test_add_working_days_from_a_non_working_day(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(D(2022, 12, 25), 1) == D(2022, 12, 28)
    assert cal.add_working_days(D(2022, 12, 25), -1) == D(2022, 12, 23)
    assert cal.add_working_days(D(2022, 12, 25), 0) == D(2022, 12, 25)  # zero moves nowhere


def test_working_days_between_counts_after_start_up_to_and_including_end(cal: WorkingCalendar) -> None:
    assert cal.working_days_between(D(2022, 12, 23), D(2022, 12, 28)) == 1
    assert cal.working_days_between(D(2022, 12, 23), D(2023, 1, 3)) == 4
    assert cal.working_days_between(D(2022, 12, 23), D(2022, 12, 23)) == 0
    assert cal.working_days_between(D(2022, 12, 28), D(2022, 12, 23)) == 0  # end before start
    assert cal.working_days_between(D(2022, 10, 1), D(2023, 3, 31)) == 130 - 3  # weekdays less 3 holidays


def test_working_days_between_undoes_add_working_days(cal: WorkingCalendar) -> None:
    start = D(2022, 12, 1)
    for n in range(0, 40):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n
        back = cal.add_working_days(start, -n)
        assert cal.working_days_between(back, start) == n


def test_subdivision_is_honoured(cal: WorkingCalendar) -> None:
    st_andrews_day = D(2022, 11, 30)
    assert cal.is_working_day(st_andrews_day)
    assert not working_calendar("GB", "SCT").is_working_day(st_andrews_day)


def test_unknown_country_and_subdivision_are_value_errors_naming_them() -> None:
    with pytest.raises(ValueError, match="knows no country 'XX'"):
        WorkingCalendar("XX")
    with pytest.raises(ValueError, match=r"knows no subdivision 'YORKS' of 'GB' \(known: ENG, NIR, SCT, WLS\)"):
        WorkingCalendar("GB", "YORKS")

"""Malformed configs: each is rejected with an InputError naming the file and the key path at fault."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rollout.config import DEFAULT_CONFIG_PATH, load_programme
from rollout.errors import InputError

Raw = dict[str, Any]
Problems = Callable[[Raw], list[str]]


def _wave(raw: Raw, index: int) -> Raw:
    wave: Raw = raw["waves"][index]
    return wave


def _workshop(raw: Raw, number: int) -> Raw:
    return next(w for w in raw["workshops"] if w["number"] == number)


# --- the real config -------------------------------------------------------------------------------------


def test_the_shipped_config_loads_with_three_waves_of_six_workshops() -> None:
    programme = load_programme(Path(__file__).resolve().parents[2] / DEFAULT_CONFIG_PATH)
    assert [w.id for w in programme.waves] == ["wave-1", "wave-2", "wave-3"]
    assert [w.number for w in programme.workshops_in_order] == [1, 2, 3, 4, 5, 6]


def test_shipped_config_rewritten_by_the_test_toml_writer_still_loads(raw: Raw, load_raw: Callable[[Raw], Any]) -> None:
    assert [w.id for w in load_raw(raw).waves] == ["wave-1", "wave-2", "wave-3"]


# --- waves ------------------------------------------------------------------------------------------------


def test_wave_that_ends_before_it_starts_is_rejected_naming_the_wave(raw: Raw, problems: Problems) -> None:
    _wave(raw, 1)["end"] = dt.date(2023, 3, 1)
    assert problems(raw) == ["waves[1]: end (2023-03-01) must be after start (2023-04-01)"]


def test_wave_that_ends_on_the_day_it_starts_is_rejected(raw: Raw, problems: Problems) -> None:
    _wave(raw, 1)["end"] = dt.date(2023, 4, 1)
    assert problems(raw) == ["waves[1]: end (2023-04-01) must be after start (2023-04-01)"]


def test_wave_naming_an_unknown_lcp_is_rejected(raw: Raw, problems: Problems) -> None:
    _wave(raw, 0)["lcps"].append("leeds-north")
    assert problems(raw) == ["waves[0].lcps[3]: unknown LCP 'leeds-north'"]


def test_wave_listing_an_lcp_twice_is_rejected(raw: Raw, problems: Problems) -> None:
    _wave(raw, 0)["lcps"].append("central")
    assert problems(raw) == ["waves[0].lcps[3]: LCP 'central' is listed twice"]


def test_two_waves_with_the_same_id_are_rejected_at_the_second(raw: Raw, problems: Problems) -> None:
    _wave(raw, 2)["id"] = "wave-1"
    assert problems(raw) == ["waves[2].id: duplicate id 'wave-1'"]


def test_an_lcp_in_two_overlapping_waves_is_rejected(raw: Raw, problems: Problems) -> None:
    _wave(raw, 1)["start"] = dt.date(2023, 3, 1)
    _wave(raw, 1)["lcps"].append("morley")
    assert problems(raw) == [
        "waves[1]: overlaps waves[0] (wave-1) for LCP 'morley'; an LCP can be in one wave at a time"
    ]


def test_wave_id_that_is_not_a_slug_is_rejected_saying_what_an_id_may_contain(raw: Raw, problems: Problems) -> None:
    _wave(raw, 0)["id"] = "Wave 1"
    assert problems(raw) == ["waves[0].id: 'Wave 1' is not an id: use a-z, 0-9, '-' and '_', not starting with - or _"]


def test_wave_too_short_for_its_lead_in_and_lead_out_is_rejected(raw: Raw, problems: Problems) -> None:
    _wave(raw, 0)["end"] = dt.date(2022, 11, 1)
    assert problems(raw) == [
        "waves[0]: too short for its workshops: 2022-10-01 to 2022-11-01 leaves no room after "
        "schedule.lead_in_days (14) and lead_out_days (21)"
    ]


def test_wave_too_short_to_keep_workshops_the_minimum_gap_apart_is_rejected(raw: Raw, problems: Problems) -> None:
    _wave(raw, 0)["end"] = dt.date(2022, 12, 15)
    assert problems(raw) == [
        f"waves[0]: workshops {n} ({a}) and {n + 1} ({b}) are less than schedule.min_gap_working_days (10) "
        "working days apart"
        for n, (a, b) in enumerate(
            [
                ("2022-10-18", "2022-10-25"),
                ("2022-10-25", "2022-11-01"),
                ("2022-11-01", "2022-11-08"),
                ("2022-11-08", "2022-11-15"),
                ("2022-11-15", "2022-11-22"),
            ],
            start=1,
        )
    ]


def test_cancelling_a_workshop_that_does_not_exist_is_rejected(raw: Raw, problems: Problems) -> None:
    _wave(raw, 0)["cancelled_workshops"] = [9]
    assert problems(raw) == ["waves[0].cancelled_workshops[0]: no workshop number 9"]


# --- overrides --------------------------------------------------------------------------------------------


def test_override_for_a_workshop_number_that_does_not_exist_is_rejected(raw: Raw, problems: Problems) -> None:
    _wave(raw, 0)["overrides"] = [{"workshop": 9, "date": dt.date(2022, 11, 15)}]
    assert problems(raw) == ["waves[0].overrides[0].workshop: no workshop number 9"]


def test_override_dated_outside_its_wave_is_rejected(raw: Raw, problems: Problems) -> None:
    _wave(raw, 0)["overrides"] = [{"workshop": 6, "date": dt.date(2023, 4, 4)}]
    assert problems(raw) == ["waves[0].overrides[0].date: 2023-04-04 is outside the wave (2022-10-01 to 2023-03-31)"]


def test_override_on_the_boxing_day_substitute_bank_holiday_is_rejected(raw: Raw, problems: Problems) -> None:
    _wave(raw, 0)["overrides"] = [{"workshop": 3, "date": dt.date(2022, 12, 27)}]
    assert problems(raw) == [
        "waves[0].overrides[0].date: 2022-12-27 is not a working day (Christmas Day (observed))",
        # and, as a consequence, workshop 4 is now too close
        "waves[0]: workshops 3 (2022-12-27) and 4 (2023-01-10) are less than "
        "schedule.min_gap_working_days (10) working days apart",
    ]


def test_override_on_a_saturday_is_rejected(raw: Raw, problems: Problems) -> None:
    _wave(raw, 0)["overrides"] = [{"workshop": 3, "date": dt.date(2022, 12, 10)}]
    assert problems(raw) == ["waves[0].overrides[0].date: 2022-12-10 is not a working day (Saturday)"]


def test_two_overrides_for_one_workshop_are_rejected_at_the_second(raw: Raw, problems: Problems) -> None:
    _wave(raw, 0)["overrides"] = [
        {"workshop": 3, "date": dt.date(2022, 12, 14)},
        {"workshop": 3, "date": dt.date(2022, 12, 15)},
    ]
    assert problems(raw) == ["waves[0].overrides[1].workshop: workshop 3 is overridden twice"]


def test_override_bringing_two_workshops_closer_than_the_minimum_gap_is_rejected(raw: Raw, problems: Problems) -> None:
    _wave(raw, 0)["overrides"] = [{"workshop": 2, "date": dt.date(2022, 10, 25)}]
    assert problems(raw) == [
        "waves[0]: workshops 1 (2022-10-18) and 2 (2022-10-25) are less than "
        "schedule.min_gap_working_days (10) working days apart"
    ]


def test_override_moving_a_workshop_after_the_next_one_is_rejected_as_out_of_order(
    raw: Raw, problems: Problems
) -> None:
    _wave(raw, 0)["overrides"] = [{"workshop": 2, "date": dt.date(2023, 1, 17)}]
    assert problems(raw) == [
        "waves[0]: workshop 3 (2022-12-13) would not come after workshop 2 (2023-01-17); workshops run in number order"
    ]


def test_override_with_a_bad_time_is_rejected(raw: Raw, problems: Problems) -> None:
    _wave(raw, 0)["overrides"] = [{"workshop": 3, "date": dt.date(2022, 12, 14), "start": "9am"}]
    assert problems(raw) == ["waves[0].overrides[0].start: must be a 24-hour local time like 10:00"]


def test_override_with_a_misspelt_key_reports_both_the_unknown_and_the_missing_key(
    raw: Raw, problems: Problems
) -> None:
    _wave(raw, 0)["overrides"] = [{"workshop": 3, "day": dt.date(2022, 12, 14)}]
    assert problems(raw) == [
        "waves[0].overrides[0].date: is required",
        "waves[0].overrides[0].day: unknown key",
    ]


# --- ids and references -----------------------------------------------------------------------------------


def test_duplicate_lcp_id_is_rejected_and_the_lcp_it_displaced_is_reported_unknown(
    raw: Raw, problems: Problems
) -> None:
    raw["lcps"][3]["id"] = "central"  # was armley, which wave-2 still names
    assert problems(raw) == [
        "lcps[3].id: duplicate id 'central'",
        "waves[1].lcps[0]: unknown LCP 'armley'",
    ]


def test_duplicate_role_id_is_rejected(raw: Raw, problems: Problems) -> None:
    raw["roles"][5]["id"] = "motivating"
    assert problems(raw) == ["roles[5].id: duplicate id 'motivating'"]


def test_audience_naming_a_role_that_does_not_exist_is_rejected(raw: Raw, problems: Problems) -> None:
    _workshop(raw, 4)["audience"]["roles"] = ["signposting", "prescribing"]
    assert problems(raw) == ["workshops[3].audience.roles[1]: unknown role 'prescribing'"]


def test_audience_naming_an_unknown_sector_is_rejected(raw: Raw, problems: Problems) -> None:
    _workshop(raw, 3)["audience"]["sectors"] = ["charity"]
    assert problems(raw) == ["workshops[2].audience.sectors[0]: unknown sector 'charity'"]


def test_audience_with_an_unknown_hub_status_is_rejected_listing_the_statuses(raw: Raw, problems: Problems) -> None:
    _workshop(raw, 3)["audience"]["hub"] = ["prospective", "hubb"]
    assert problems(raw) == ["workshops[2].audience.hub[1]: 'hubb' is not one of 'hub', 'prospective' or 'none'"]


def test_stage_numbers_with_a_gap_are_rejected(raw: Raw, problems: Problems) -> None:
    raw["stages"][3]["number"] = 5
    assert problems(raw) == ["stages: numbers must run 1..4 without gaps, got [1, 2, 3, 5]"]


# --- keys -------------------------------------------------------------------------------------------------


def test_misspelt_top_level_key_is_reported_with_a_suggestion(raw: Raw, problems: Problems) -> None:
    raw["wavess"] = raw.pop("waves")
    assert problems(raw) == [
        "waves: is required",
        "wavess: unknown key (did you mean 'waves'?)",
    ]


def test_misspelt_nested_key_is_reported_with_its_full_path(raw: Raw, problems: Problems) -> None:
    raw["schedule"]["lead_in_dayz"] = raw["schedule"].pop("lead_in_days")
    assert problems(raw) == ["schedule.lead_in_dayz: unknown key (did you mean 'lead_in_days'?)"]


def test_unknown_key_with_no_near_miss_gets_no_suggestion(raw: Raw, problems: Problems) -> None:
    raw["lcps"][0]["lead"]["phone"] = "0113 000 0000"
    assert problems(raw) == ["lcps[0].lead.phone: unknown key"]


def test_missing_required_key_is_reported_by_path(raw: Raw, problems: Problems) -> None:
    del raw["programme"]["timezone"]
    assert problems(raw) == ["programme.timezone: is required"]


def test_empty_wave_list_is_rejected(raw: Raw, problems: Problems) -> None:
    raw["waves"] = []
    assert problems(raw) == ["waves: List should have at least 1 item after validation, not 0"]


# --- programme --------------------------------------------------------------------------------------------


def test_unknown_time_zone_is_rejected(raw: Raw, problems: Problems) -> None:
    raw["programme"]["timezone"] = "Europe/Londres"
    assert problems(raw) == ["programme.timezone: unknown time zone 'Europe/Londres'"]


def test_time_zone_naming_a_tzdata_folder_is_rejected_not_a_crash(raw: Raw, problems: Problems) -> None:
    raw["programme"]["timezone"] = "Europe"
    assert problems(raw) == ["programme.timezone: unknown time zone 'Europe'"]


def test_holiday_country_the_holidays_package_does_not_know_is_rejected(raw: Raw, problems: Problems) -> None:
    raw["programme"]["holidays"]["country"] = "XX"
    assert problems(raw) == ["programme.holidays: the holidays package knows no country 'XX'"]


def test_holiday_subdivision_the_holidays_package_does_not_know_is_rejected_listing_known_ones(
    raw: Raw, problems: Problems
) -> None:
    raw["programme"]["holidays"]["subdivision"] = "YORKS"
    assert problems(raw) == [
        "programme.holidays: the holidays package knows no subdivision 'YORKS' of 'GB' (known: ENG, NIR, SCT, WLS)"
    ]


def test_bad_manager_email_is_rejected_naming_the_address(raw: Raw, problems: Problems) -> None:
    raw["programme"]["managers"][0]["email"] = "programme.manager@"
    assert problems(raw) == ["programme.managers[0].email: 'programme.manager@' is not a valid email address"]


def test_bad_lcp_lead_email_is_rejected(raw: Raw, problems: Problems) -> None:
    raw["lcps"][0]["lead"]["email"] = "central lead@example.org"
    assert problems(raw) == ["lcps[0].lead.email: 'central lead@example.org' is not a valid email address"]


def test_escalation_levels_that_do_not_increase_are_rejected(raw: Raw, problems: Problems) -> None:
    raw["escalation"]["levels"][2]["after_days"] = 3
    assert problems(raw) == ["escalation.levels: after_days must increase from one level to the next"]


def test_escalation_levels_on_the_same_day_are_rejected(raw: Raw, problems: Problems) -> None:
    raw["escalation"]["levels"][2]["after_days"] = 7
    assert problems(raw) == ["escalation.levels: after_days must increase from one level to the next"]


# --- times ------------------------------------------------------------------------------------------------


def test_workshop_time_of_25_00_is_rejected(raw: Raw, problems: Problems) -> None:
    _workshop(raw, 1)["start"] = "25:00"
    assert problems(raw) == ["workshops[0].start: must be a 24-hour local time like 10:00"]


def test_workshop_time_given_as_a_bare_number_is_rejected_not_read_as_seconds(raw: Raw, problems: Problems) -> None:
    _workshop(raw, 1)["start"] = 10
    assert problems(raw) == ["workshops[0].start: must be a 24-hour local time like 10:00"]


def test_workshop_time_given_as_a_toml_local_time_is_accepted(raw: Raw, load_raw: Callable[[Raw], Any]) -> None:
    _workshop(raw, 1)["start"] = dt.time(9, 30)
    assert load_raw(raw).workshops_in_order[0].start == dt.time(9, 30)


@pytest.mark.parametrize("value", ["01:30", dt.time(2, 59)], ids=["text", "toml-time"])
def test_scheduled_run_time_inside_the_dst_changeover_hours_is_rejected(
    raw: Raw, problems: Problems, value: object
) -> None:
    raw["runs"]["reconcile_time"] = value
    assert problems(raw) == [
        "runs.reconcile_time: must be outside 01:00-02:59, where daylight-saving changes misfire schedules"
    ]


def test_unknown_digest_weekday_is_rejected_listing_the_weekdays(raw: Raw, problems: Problems) -> None:
    raw["runs"]["digest_weekday"] = "Monday"
    assert problems(raw) == [
        "runs.digest_weekday: 'Monday' is not one of 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', "
        "'saturday' or 'sunday'"
    ]


# --- workshops --------------------------------------------------------------------------------------------


def test_workshop_numbers_with_a_gap_are_rejected(raw: Raw, problems: Problems) -> None:
    _workshop(raw, 6)["number"] = 7
    assert problems(raw) == ["workshops: numbers must run 1..6 without gaps or repeats, got [1, 2, 3, 4, 5, 7]"]


def test_venue_workshop_without_a_venue_is_rejected(raw: Raw, problems: Problems) -> None:
    del _workshop(raw, 2)["venue"]
    assert problems(raw) == ["workshops[1]: format 'venue' needs a venue"]


def test_teams_workshop_with_a_venue_is_rejected(raw: Raw, problems: Problems) -> None:
    _workshop(raw, 1)["venue"] = "Leeds Civic Hall"
    assert problems(raw) == ["workshops[0]: format 'teams' takes no venue"]


def test_due_rule_that_is_not_understood_is_rejected_listing_the_accepted_forms(raw: Raw, problems: Problems) -> None:
    _workshop(raw, 1)["actions"][0]["due"] = "a week before the next workshop"
    assert problems(raw) == [
        "workshops[0].actions[0].due: due rule 'a week before the next workshop' is not understood; "
        'use one of "N working days before the next workshop", "N working days after the workshop", '
        '"N days after the workshop", "N working days before the wave end"'
    ]


def test_due_rule_before_its_own_workshop_is_rejected(raw: Raw, problems: Problems) -> None:
    _workshop(raw, 1)["actions"][0]["due"] = "2 days before the workshop"
    assert problems(raw) == [
        "workshops[0].actions[0].due: due rule '2 days before the workshop' would fall before the workshop that sets it"
    ]


def test_due_rule_before_the_next_workshop_on_the_last_workshop_is_rejected(raw: Raw, problems: Problems) -> None:
    _workshop(raw, 6)["actions"][0]["due"] = "5 working days before the next workshop"
    assert problems(raw) == ["workshops[5].actions[0].due: the last workshop has no next workshop"]


def test_due_rule_that_falls_before_its_workshop_in_practice_is_rejected_for_every_wave(
    raw: Raw, problems: Problems
) -> None:
    _workshop(raw, 1)["actions"][0]["due"] = "30 working days before the next workshop"
    rule = "workshops[0].actions[0].due: '30 working days before the next workshop'"
    assert problems(raw) == [
        f"{rule} gives 2022-10-04 in waves[0], not after workshop 1 (2022-10-18)",
        f"{rule} gives 2023-03-29 in waves[1], not after workshop 1 (2023-04-18)",
        f"{rule} gives 2023-10-03 in waves[2], not after workshop 1 (2023-10-17)",
    ]


# --- several at once, and ordering ------------------------------------------------------------------------


def test_several_field_errors_are_all_reported_in_key_order(raw: Raw, problems: Problems) -> None:
    raw["programme"]["timezone"] = "Mars/Olympus"
    _workshop(raw, 1)["start"] = "25:00"
    _wave(raw, 1)["end"] = dt.date(2023, 3, 1)
    raw["programme"]["managers"][0]["email"] = "nobody"
    assert problems(raw) == [
        "programme.managers[0].email: 'nobody' is not a valid email address",
        "programme.timezone: unknown time zone 'Mars/Olympus'",
        "waves[1]: end (2023-03-01) must be after start (2023-04-01)",
        "workshops[0].start: must be a 24-hour local time like 10:00",
    ]


def test_several_cross_reference_errors_are_all_reported(raw: Raw, problems: Problems) -> None:
    raw["roles"][5]["id"] = "motivating"
    _workshop(raw, 3)["audience"]["sectors"] = ["charity"]
    _wave(raw, 0)["lcps"].append("nowhere")
    _wave(raw, 2)["overrides"] = [{"workshop": 7, "date": dt.date(2023, 11, 14)}]
    assert problems(raw) == [
        "roles[5].id: duplicate id 'motivating'",
        "workshops[2].audience.sectors[0]: unknown sector 'charity'",
        "waves[0].lcps[3]: unknown LCP 'nowhere'",
        "waves[2].overrides[0].workshop: no workshop number 7",
    ]


def test_problems_are_sorted_so_that_index_2_comes_before_index_10(raw: Raw, problems: Problems) -> None:
    raw["lcps"][10]["lead"]["email"] = "ten"
    raw["lcps"][2]["lead"]["email"] = "two"
    assert problems(raw) == [
        "lcps[2].lead.email: 'two' is not a valid email address",
        "lcps[10].lead.email: 'ten' is not a valid email address",
    ]


# --- the file itself --------------------------------------------------------------------------------------


def _rejected(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_programme(path)
    assert caught.value.source == str(path)
    return caught.value.problems


def test_file_that_is_not_toml_is_rejected_with_the_parser_position(config_path: Path) -> None:
    config_path.write_text('[programme]\nname = "Rollout"\ntimezone Europe/London\n', encoding="utf-8")
    assert _rejected(config_path) == [
        "not valid TOML: Expected '=' after a key in a key/value pair (at line 3, column 10)"
    ]


def test_missing_file_is_reported_not_raised_as_an_os_error(tmp_path: Path) -> None:
    assert _rejected(tmp_path / "nowhere" / "waves.toml") == ["file not found"]


def test_directory_given_as_the_config_is_reported_not_raised_as_an_os_error(tmp_path: Path) -> None:
    assert _rejected(tmp_path) == ["cannot read the file (Is a directory)"]


def test_file_that_is_not_utf8_is_rejected_naming_the_byte(config_path: Path) -> None:
    config_path.write_bytes('[programme]\nname = "Caf\u00e9"\n'.encode("latin-1"))
    assert _rejected(config_path) == ["not UTF-8 text (invalid continuation byte at byte 23)"]


def test_utf8_file_with_a_byte_order_mark_loads(raw: Raw, config_path: Path, write_config: Any) -> None:
    write_config(raw)
    config_path.write_bytes(b"\xef\xbb\xbf" + config_path.read_bytes())
    assert load_programme(config_path).programme.timezone == "Europe/London"


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}


def test_failed_validation_leaves_the_file_byte_identical_and_writes_nothing_beside_it(
    raw: Raw, config_path: Path, write_config: Any
) -> None:
    _wave(raw, 1)["end"] = dt.date(2023, 3, 1)
    write_config(raw)
    before = _snapshot(config_path.parent)
    assert _rejected(config_path) == ["waves[1]: end (2023-03-01) must be after start (2023-04-01)"]
    assert _snapshot(config_path.parent) == before
    assert list(before) == ["waves.toml"]


def test_failed_planning_check_leaves_the_file_byte_identical_and_writes_nothing_beside_it(
    raw: Raw, config_path: Path, write_config: Any
) -> None:
    _wave(raw, 0)["overrides"] = [{"workshop": 3, "date": dt.date(2022, 12, 27)}]
    write_config(raw)
    before = _snapshot(config_path.parent)
    assert _rejected(config_path)[0] == (
        "waves[0].overrides[0].date: 2022-12-27 is not a working day (Christmas Day (observed))"
    )
    assert _snapshot(config_path.parent) == before


def test_a_loaded_programme_round_trips_through_plain_data(raw: Raw, load_raw: Callable[[Raw], Any]) -> None:
    _wave(raw, 0)["overrides"] = [{"workshop": 3, "date": dt.date(2022, 12, 15)}]  # start left unset (None)
    programme = load_raw(raw)
    assert type(programme).model_validate(programme.model_dump()) == programme

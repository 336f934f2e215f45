"""The corpus: malformed configs, partner CSVs and command lines, each with the exit status and words it must get.

A case builds its files in a temporary folder and returns what to run. `expect` lists text the one-line error must
contain: the file (or option, or setting) and the key or row at fault.
"""

from __future__ import annotations

import copy
import re
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "config"))
from toml_writer import dumps

from tests.conftest import CONFIG, SAMPLE_PARTNERS

Raw = dict[str, Any]
BIG = 2**63  # beyond any database integer
HUGE = "99999999999999999999999"


@dataclass(frozen=True)
class Run:
    args: list[str]
    expect: list[str]
    status: int = 2
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path], Run]


def _raw() -> Raw:
    return copy.deepcopy(_REAL)


_REAL: Raw = tomllib.loads(CONFIG.read_text(encoding="utf-8"))


def _toml(raw: Raw) -> str:
    """TOML text; ⟪U+XXXX⟫ in a value becomes the escape \\uXXXX (TOML strings cannot hold most controls raw)."""
    return re.sub(r"⟪U\+([0-9A-F]{4})⟫", r"\\u\1", dumps(raw))


# --- configs -------------------------------------------------------------------------------------------------------


def config_case(name: str, key: str, mutate: Callable[[Raw], None]) -> Case:
    def build(tmp: Path) -> Run:
        raw = _raw()
        mutate(raw)
        path = tmp / "hostile.toml"
        path.write_text(_toml(raw), encoding="utf-8")
        return Run(["validate", "--config", str(path)], [f"{path}: {key}"])

    return Case(f"config-{name}", build)


def _set(path: str, value: Any) -> Callable[[Raw], None]:
    """A mutation setting `a.b[0].c` to `value`."""

    def mutate(raw: Raw) -> None:
        parts = re.findall(r"[^.\[\]]+", path)
        target: Any = raw
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        target[int(last) if last.isdigit() else last] = value

    return mutate


def _many_ids(raw: Raw) -> None:
    raw["roles"] += [{"id": f"r{i}", "title": f"Role {i}"} for i in range(4000)]
    raw["roles"].append({"id": "r7", "title": "Again"})


CONFIG_CASES = [
    config_case("stall-after-days-int64", "stages[0].stall_after_days", _set("stages.0.stall_after_days", 2**63 - 1)),
    config_case("stall-after-days-11-years", "stages[1].stall_after_days", _set("stages.1.stall_after_days", 4018)),
    config_case(
        "escalation-after-days-huge", "escalation.levels[1].after_days", _set("escalation.levels.1.after_days", 10**12)
    ),
    config_case("lead-in-days-huge", "schedule.lead_in_days", _set("schedule.lead_in_days", 10**9)),
    config_case("lead-out-days-negative", "schedule.lead_out_days", _set("schedule.lead_out_days", -1)),
    config_case("min-gap-huge", "schedule.min_gap_working_days", _set("schedule.min_gap_working_days", 10**6)),
    config_case(
        "reminder-days-huge", "reminders.no_response_days_before", _set("reminders.no_response_days_before", 10**7)
    ),
    config_case(
        "due-999999999-working-days",
        "workshops[0].actions[0].due",
        _set("workshops.0.actions.0.due", "999999999 working days after the workshop"),
    ),
    config_case(
        "due-5000-digits",
        "workshops[0].actions[0].due",
        _set("workshops.0.actions.0.due", "9" * 5000 + " days after the workshop"),
    ),
    config_case("stage-number-huge", "stages[0].number", _set("stages.0.number", 2**40)),
    config_case("workshop-number-huge", "workshops[0].number", _set("workshops.0.number", 2**63)),
    config_case(
        "cancelled-workshop-huge", "waves[0].cancelled_workshops[0]", _set("waves.0.cancelled_workshops", [2**70])
    ),
    config_case("wave-date-year-1", "waves[0].start", _set("waves.0.start", __import__("datetime").date(1, 1, 1))),
    config_case("wave-date-year-9999", "waves[0].end", _set("waves.0.end", __import__("datetime").date(9999, 12, 31))),
    config_case("lcp-lead-name-crlf", "lcps[0].lead.name", _set("lcps.0.lead.name", "Central\r\nBcc: x@evil.example")),
    config_case("lcp-lead-name-lf", "lcps[1].lead.name", _set("lcps.1.lead.name", "Line\nbreak")),
    config_case("lcp-name-nul", "lcps[0].name", _set("lcps.0.name", "Central⟪U+0000⟫")),
    config_case("lcp-name-300-chars", "lcps[0].name", _set("lcps.0.name", "C" * 300)),
    config_case("lcp-name-bidi-override", "lcps[2].name", _set("lcps.2.name", "Morley ⟪U+202E⟫gnp.exe")),
    config_case("lcp-name-isolate", "lcps[2].name", _set("lcps.2.name", "Morley ⟪U+2066⟫x")),
    config_case("wave-name-line-separator", "waves[0].name", _set("waves.0.name", "Wave ⟪U+2028⟫ one")),
    config_case("workshop-title-c1-control", "workshops[1].title", _set("workshops.1.title", "Title ⟪U+0085⟫ next")),
    config_case("workshop-title-201-chars", "workshops[1].title", _set("workshops.1.title", "T" * 201)),
    config_case(
        "action-title-301-chars", "workshops[0].actions[0].title", _set("workshops.0.actions.0.title", "A" * 301)
    ),
    config_case("venue-escape-control", "workshops[1].venue", _set("workshops.1.venue", "Hall ⟪U+001B⟫[31m")),
    config_case(
        "manager-name-paragraph-separator",
        "programme.managers[0].name",
        _set("programme.managers.0.name", "A⟪U+2029⟫B"),
    ),
    config_case(
        "manager-email-newline",
        "programme.managers[0].email",
        _set("programme.managers.0.email", "a@b.example\nc@d.example"),
    ),
    config_case(
        "organiser-mailbox-255-chars",
        "programme.organiser_mailbox",
        _set("programme.organiser_mailbox", "a" * 250 + "@b.example"),
    ),
    config_case("programme-name-tab", "programme.name", _set("programme.name", "Name\twith tab")),
    config_case("time-label-long", "programme.time_label", _set("programme.time_label", "UK time " * 20)),
    config_case("lcp-id-65-chars", "lcps[0].id", _set("lcps.0.id", "c" * 65)),
    config_case("wave-600-lcps", "waves[0].lcps", _set("waves.0.lcps", [f"l{i}" for i in range(600)])),
    config_case(
        "managers-501",
        "programme.managers",
        lambda raw: raw["programme"].update(managers=raw["programme"]["managers"] * 501),
    ),
    config_case("duplicate-among-4000-ids", "roles[", _many_ids),
    config_case("wave-eleven-years", "waves[0]", _set("waves.0.end", __import__("datetime").date(2033, 3, 31))),
    config_case("description-nul", "workshops[0].description", _set("workshops.0.description", "Hello⟪U+0000⟫")),
]


def raw_config_case(name: str, expect: str, write: Callable[[Path], None]) -> Case:
    def build(tmp: Path) -> Run:
        path = tmp / "hostile.toml"
        write(path)
        return Run(["validate", "--config", str(path)], [f"{path}: {expect}"])

    return Case(f"config-file-{name}", build)


def _directory(path: Path) -> None:
    path.mkdir()


RAW_CONFIG_CASES = [
    raw_config_case("array-5000-deep", "nested too deeply", lambda p: p.write_text("x = " + "[" * 5000 + "]" * 5000)),
    raw_config_case(
        "table-3000-deep", "nested too deeply", lambda p: p.write_text("x = " + "{a = " * 3000 + "1" + "}" * 3000)
    ),
    raw_config_case("2-MB", "larger than", lambda p: p.write_text("# padding\n" * 200_000)),
    raw_config_case("9-MB", "larger than", lambda p: p.write_bytes(b"x" * 9_000_000)),
    raw_config_case("not-utf8", "not UTF-8", lambda p: p.write_bytes(b"name = '\xff\xfe'\n")),
    raw_config_case("not-toml", "not valid TOML", lambda p: p.write_text("[programme\nname=")),
    raw_config_case("a-directory", "cannot read", _directory),
    raw_config_case("missing", "file not found", lambda p: None),
    raw_config_case("empty", "programme: is required", lambda p: p.write_text("")),
]


# --- partner CSVs --------------------------------------------------------------------------------------------------

HEADER = "organisation,lcp,sector,roles,contact_name,email,hub_stage\r\n"
GOOD = "Morley Library,morley,council,supporting_skills,Ann Example,ann@morley.example.org,2\r\n"


def csv_case(name: str, expect: str, body: str | bytes) -> Case:
    def build(tmp: Path) -> Run:
        path = tmp / "hostile.csv"
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body, encoding="utf-8", newline="")
        return Run(["partners", "import", str(path)], [f"{path}: {expect}"])

    return Case(f"csv-{name}", build)


def _row(**values: str) -> str:
    fields = {
        "organisation": "Morley Hub",
        "lcp": "morley",
        "sector": "council",
        "roles": "supporting_skills",
        "contact_name": "Bo Example",
        "email": "bo@morley.example.org",
        "hub_stage": "",
    }
    fields.update(values)
    return ",".join(fields.values()) + "\r\n"


CSV_CASES = [
    csv_case(
        "field-over-131072", "line 3: cannot read the row", HEADER + GOOD + _row(organisation='"' + "x" * 140_000 + '"')
    ),
    csv_case(
        "crlf-in-quoted-name",
        "line 3: contact_name: contains a line break",
        HEADER + GOOD + _row(contact_name='"Bo\r\nExample"'),
    ),
    csv_case(
        "lf-in-quoted-organisation",
        "line 3: organisation: contains a line break",
        HEADER + GOOD + _row(organisation='"Morley\nHub"'),
    ),
    csv_case(
        "u2028-in-name",
        "line 3: contact_name: contains a line break (U+2028)",
        HEADER + GOOD + _row(contact_name="Bo\u2028Example"),
    ),
    csv_case(
        "nul-in-name",
        "line 2: contact_name: contains a control character (U+0000)",
        HEADER + _row(contact_name="Bo\x00Ex"),
    ),
    csv_case(
        "bidi-in-organisation",
        "line 2: organisation: contains a text-direction override",
        HEADER + _row(organisation="Hub\u202eevil"),
    ),
    csv_case(
        "escape-in-organisation",
        "line 2: organisation: contains a control character (U+001B)",
        HEADER + _row(organisation="Hub\x1b[2J"),
    ),
    csv_case(
        "organisation-250-chars",
        "line 2: organisation: is 250 characters; at most 200",
        HEADER + _row(organisation="O" * 250),
    ),
    csv_case(
        "contact-name-300-chars", "line 2: contact_name: is 300 characters", HEADER + _row(contact_name="N" * 300)
    ),
    csv_case("email-300-chars", "line 2: email:", HEADER + _row(email="e" * 290 + "@x.example")),
    csv_case("hub-stage-huge", "line 2: hub_stage:", HEADER + _row(hub_stage=HUGE)),
    csv_case("hub-stage-unicode-digit", "line 2: hub_stage:", HEADER + _row(hub_stage="²")),
    csv_case("not-utf8", "not UTF-8", b"organisation,lcp\r\n\xff\xfe\r\n"),
    csv_case("header-only-garbage", "header: missing column(s)", "\x00\x01\x02\r\n"),
    csv_case("more-values-than-columns", "line 2: more values than columns", HEADER + _row().rstrip() + ",extra\r\n"),
    csv_case(
        "roles-control", "line 2: roles: contains a control character", HEADER + _row(roles="supporting_skills\x07")
    ),
]


def _csv_directory(tmp: Path) -> Run:
    path = tmp / "partners-folder"
    path.mkdir()
    return Run(["partners", "import", str(path)], [f"{path}: is a directory"])


CSV_CASES.append(Case("csv-a-directory", _csv_directory))


# --- command lines and settings ------------------------------------------------------------------------------------


def cli_case(name: str, args: list[str], expect: list[str], status: int = 2, **env: str) -> Case:
    return Case(f"cli-{name}", lambda tmp: Run(args, expect, status, env))


def _preview_directory(tmp: Path) -> Run:
    return Run(["digest", "--preview", str(tmp)], ["--preview: ", "is a directory"])


CLI_CASES = [
    cli_case("actions-done-huge-id", ["actions", "done", HUGE], ["ACTION: no action with id"]),
    cli_case("actions-done-2-63", ["actions", "done", str(BIG)], ["ACTION: no action with id"]),
    cli_case("actions-done-superscript", ["actions", "done", "²"], ["ACTION: '²' is not an id"]),
    cli_case("escalations-ack-huge-id", ["escalations", "ack", HUGE], ["ESCALATION: no escalation with id"]),
    cli_case("escalations-snooze-huge-id", ["escalations", "snooze", HUGE, "--until", "2099-01-01"], ["ESCALATION:"]),
    cli_case("escalations-snooze-year-9999", ["escalations", "snooze", "1", "--until", "9999-12-31"], ["--until:"]),
    cli_case("hubs-progress-huge-id", ["hubs", "progress", HUGE, "--stage", "1"], ["HUB: no hub with id"]),
    cli_case("hubs-progress-nul-name", ["hubs", "progress", "Morley\x00Library", "--stage", "1"], ["HUB:", "U+0000"]),
    cli_case("hubs-progress-huge-stage", ["hubs", "progress", "1", "--stage", HUGE], ["--stage"]),
    cli_case("reconcile-as-of-year-1", ["reconcile", "--as-of", "0001-01-01T00:00+05:00"], ["--as-of:"]),
    cli_case(
        "reconcile-as-of-year-9999", ["reconcile", "--dry-run", "--as-of", "9999-12-31T23:59-05:00"], ["--as-of:"]
    ),
    cli_case("launch-as-of-year-1", ["launch", "wave-1", "--dry-run", "--as-of", "0001-01-01"], ["--as-of:"]),
    Case("cli-digest-preview-directory", _preview_directory),
    cli_case(
        "checkin-link-huge-action", ["checkin", "link", "--contact", "a@b.example", "--action", HUGE], ["--action"]
    ),
    cli_case("deliver-limit-huge", ["deliver", "--limit", HUGE], ["--limit"]),
    cli_case(
        "by-with-newline", ["actions", "done", "1", "--by", "Mallory\nroot"], ["--by: the name contains a line break"]
    ),
    cli_case("by-201-chars", ["actions", "done", "1", "--by", "B" * 201], ["--by: the name is 201 characters"]),
    cli_case("note-with-nul", ["actions", "done", "1", "--note", "done\x00"], ["--note: the note contains a control"]),
    cli_case("unknown-wave", ["plan", "wave-99"], ["wave: unknown wave 'wave-99'"]),
    cli_case(
        "database-unavailable",
        ["actions", "list"],
        ["unavailable", "postgresql://rollout:***@127.0.0.1:1/nowhere"],
        3,
        ROLLOUT_DATABASE_URL="postgresql://rollout:s3cret@127.0.0.1:1/nowhere",
    ),
    cli_case("database-url-garbage", ["actions", "list"], ["ROLLOUT_DATABASE_URL:"], ROLLOUT_DATABASE_URL="not a url"),
    cli_case(
        "token-days-not-a-number",
        ["checkin", "link", "--contact", "alex.example1@central.example.org", "--action", "1"],
        ["ROLLOUT_CHECKIN_TOKEN_DAYS"],
        ROLLOUT_CHECKIN_TOKEN_DAYS="forever",
        ROLLOUT_CHECKIN_SECRET="s" * 40,
    ),
    cli_case(
        "insecure-links-to-real-tenant",
        ["reconcile"],
        ["ROLLOUT_PUBLIC_URL: http://127.0.0.1:8765 is not https"],
        ROLLOUT_CHECKIN_SECRET="s" * 40,
    ),
    cli_case(
        "loopback-https-links-to-real-tenant",
        ["digest"],
        ["ROLLOUT_PUBLIC_URL: https://localhost:8443 is this machine"],
        ROLLOUT_CHECKIN_SECRET="s" * 40,
        ROLLOUT_PUBLIC_URL="https://localhost:8443",
    ),
    cli_case(
        "insecure-links-launch",
        ["launch", "wave-2"],
        ["ROLLOUT_PUBLIC_URL:"],
        ROLLOUT_CHECKIN_SECRET="s" * 40,
        ROLLOUT_PUBLIC_URL="http://checkin.example.gov.uk",
    ),
]


def _partners_with_bad_config(tmp: Path) -> Run:
    raw = _raw()
    raw["lcps"][0]["name"] = "N" * 300
    path = tmp / "hostile.toml"
    path.write_text(_toml(raw), encoding="utf-8")
    return Run(["partners", "import", str(SAMPLE_PARTNERS), "--config", str(path)], [f"{path}: lcps[0].name"])


CLI_CASES.append(Case("cli-partners-import-with-300-char-lcp-name", _partners_with_bad_config))

ALL_CASES = CONFIG_CASES + RAW_CONFIG_CASES + CSV_CASES + CLI_CASES

"""Read a partner CSV into checked rows. Every bad row is reported at once, with its line number."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rollout.config.schema import Programme
from rollout.errors import InputError
from rollout.limits import EMAIL_LENGTH, ID_LENGTH, NAME_LENGTH, text_problem
from rollout.partners.addresses import normalise_email

COLUMNS = ("organisation", "lcp", "sector", "roles", "contact_name", "email", "hub_stage")
COLUMN_HELP = (
    "organisation: the partner organisation's name; lcp: an LCP id from config/waves.toml; "
    "sector: a sector id; roles: role ids separated by ';'; contact_name; email; "
    "hub_stage: empty (not a hub), 'interested' (wants to become a hub) or a stage number"
)


@dataclass(frozen=True, slots=True)  # slots: a 50,000-row import holds every row in memory
class PartnerRow:
    line: int
    organisation: str
    lcp: str
    sector: str
    roles: tuple[str, ...]
    contact_name: str
    email: str
    hub_stage: int | None
    hub_interest: bool


def read_partner_csv(path: Path, programme: Programme) -> list[PartnerRow]:
    source = str(path)
    if path.is_dir():
        raise InputError(source, ["is a directory, not a CSV file"])
    try:
        # newline="": the csv module sees quoted line breaks as they are (and refuses them below), and only CR/LF
        # end a row (str.splitlines would also split on U+2028 and others, blaming the wrong column).
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return _read(csv.DictReader(handle), source, programme)
    except FileNotFoundError:
        raise InputError(source, ["file not found"]) from None
    except PermissionError:
        raise InputError(source, ["cannot read the file (permission denied)"]) from None
    except UnicodeDecodeError:
        raise InputError(source, ["not UTF-8 text; save the spreadsheet as 'CSV UTF-8'"]) from None


def _rows(reader: csv.DictReader[str], source: str) -> Iterator[tuple[int, dict[str | None, Any]]]:
    """(line the row starts on, row); a malformed row (e.g. a value over the csv module's limit) is an error."""
    line = reader.line_num + 1
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(source, [f"line {line}: cannot read the row ({_csv_reason(exc)})"]) from None
        yield line, raw
        line = reader.line_num + 1


def _csv_reason(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return f"a value is longer than {csv.field_size_limit():,} characters"
    return str(exc)


def _read(reader: csv.DictReader[str], source: str, programme: Programme) -> list[PartnerRow]:
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise InputError(source, [f"line 1: cannot read the header ({exc})"]) from None
    header = [name.strip() for name in fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"header: missing column(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"header: unknown column(s) {', '.join(unknown)}")
        problems.append(f"expected columns: {', '.join(COLUMNS)} ({COLUMN_HELP})")
        raise InputError(source, problems)

    rows: list[PartnerRow] = []
    problems = []
    known = _Known.of(programme)
    for line, raw in _rows(reader, source):
        fields = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            problems.append(f"line {line}: more values than columns")
            continue
        if not any(fields.values()):
            continue
        row_problems = list(_check_row(fields, programme, known))
        if row_problems:
            problems.extend(f"line {line}: {p}" for p in row_problems)
            continue
        rows.append(_to_row(line, fields))
    problems.extend(_cross_row_problems(rows))
    if problems:
        raise InputError(source, problems)
    if not rows:
        raise InputError(source, ["no partner rows"])
    return rows


@dataclass(frozen=True, slots=True)
class _Known:
    """The programme's ids as sets, built once per file rather than once per row."""

    lcp_ids: frozenset[str]
    sector_ids: frozenset[str]
    role_ids: frozenset[str]

    @classmethod
    def of(cls, programme: Programme) -> _Known:
        return cls(
            frozenset(lcp.id for lcp in programme.lcps), frozenset(programme.sector_ids), frozenset(programme.role_ids)
        )


# The longest value each column may hold: the database column it lands in (roles: each role is a config id).
COLUMN_LENGTHS = {
    "organisation": NAME_LENGTH,
    "lcp": ID_LENGTH,
    "sector": ID_LENGTH,
    "roles": NAME_LENGTH,
    "contact_name": NAME_LENGTH,
    "email": EMAIL_LENGTH,
    "hub_stage": ID_LENGTH,
}


def _check_row(fields: dict[str, str], programme: Programme, known: _Known | None = None) -> Iterator[str]:
    unfit = False
    for column in COLUMNS:
        problem = text_problem(fields.get(column, ""), COLUMN_LENGTHS[column])
        if problem:
            unfit = True
            yield f"{column}: {problem}"
    if unfit:  # the other checks would only repeat the value back
        return
    known = known or _Known.of(programme)
    for column in ("organisation", "lcp", "sector", "roles", "contact_name", "email"):
        if not fields.get(column):
            yield f"{column}: is required"
    if fields.get("lcp") and fields["lcp"] not in known.lcp_ids:
        yield f"lcp: unknown LCP {fields['lcp']!r} (known: {', '.join(sorted(known.lcp_ids))})"
    if fields.get("sector") and fields["sector"] not in known.sector_ids:
        yield f"sector: unknown sector {fields['sector']!r} (known: {', '.join(programme.sector_ids)})"
    for role in _split_roles(fields.get("roles", "")):
        if role not in known.role_ids:
            yield f"roles: unknown role {role!r} (known: {', '.join(programme.role_ids)})"
    if fields.get("email"):
        try:
            normalise_email(fields["email"])
        except ValueError as exc:
            yield f"email: {exc}"
    stage = fields.get("hub_stage", "")
    valid_stage = stage.isascii() and stage.isdigit() and 1 <= int(stage) <= programme.max_stage
    if stage and stage.lower() != "interested" and not valid_stage:
        yield f"hub_stage: {stage!r} must be empty, 'interested' or a stage from 1 to {programme.max_stage}"


def _split_roles(value: str) -> list[str]:
    return [role.strip() for role in value.split(";") if role.strip()]


def _to_row(line: int, fields: dict[str, str]) -> PartnerRow:
    stage = fields["hub_stage"].lower()
    return PartnerRow(
        line=line,
        organisation=" ".join(fields["organisation"].split()),
        lcp=fields["lcp"],
        sector=fields["sector"],
        roles=tuple(sorted(set(_split_roles(fields["roles"])))),
        contact_name=" ".join(fields["contact_name"].split()),
        email=normalise_email(fields["email"]),
        hub_stage=int(stage) if stage.isascii() and stage.isdigit() else None,
        hub_interest=stage == "interested",
    )


def _cross_row_problems(rows: list[PartnerRow]) -> Iterator[str]:
    first_by_email: dict[str, PartnerRow] = {}
    first_by_org: dict[tuple[str, str], PartnerRow] = {}
    for row in rows:
        seen = first_by_email.setdefault(row.email, row)
        if seen is not row:
            yield f"line {row.line}: email: {row.email} duplicates line {seen.line}"
        org = first_by_org.setdefault((row.lcp, row.organisation.casefold()), row)
        if org is not row:
            for column in ("sector", "roles", "hub_stage", "hub_interest"):
                if getattr(org, column) != getattr(row, column):
                    shown = "hub_stage" if column == "hub_interest" else column
                    yield (
                        f"line {row.line}: {shown}: differs from line {org.line} for the same organisation "
                        f"{row.organisation!r}"
                    )
                    break

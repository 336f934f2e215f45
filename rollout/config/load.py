"""Read config/waves.toml into a Programme, or raise an InputError naming the file and every bad key."""

from __future__ import annotations

import re
import tomllib
import types
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from rollout.config.schema import Programme, Wave
from rollout.errors import InputError
from rollout.limits import MAX_CONFIG_BYTES
from rollout.suggest import did_you_mean

DEFAULT_CONFIG_PATH = Path("config/waves.toml")


def load_programme(path: Path | str = DEFAULT_CONFIG_PATH) -> Programme:
    path = Path(path)
    source = str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)  # never more: a huge file is refused, not parsed
        if len(data) > MAX_CONFIG_BYTES:
            raise InputError(source, [f"larger than {MAX_CONFIG_BYTES:,} bytes: not a programme file"])
        raw = tomllib.loads(data.decode("utf-8-sig"))  # -sig: editors that save a BOM
    except RecursionError:
        raise InputError(source, ["nested too deeply to be a programme file"]) from None
    except FileNotFoundError:
        raise InputError(source, ["file not found"]) from None
    except OSError as exc:
        raise InputError(source, [f"cannot read the file ({exc.strerror})"]) from None
    except UnicodeDecodeError as exc:
        raise InputError(source, [f"not UTF-8 text ({exc.reason} at byte {exc.start})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(source, [f"not valid TOML: {exc}"]) from None
    return programme_from_dict(raw, source)


def programme_from_dict(raw: dict[str, Any], source: str) -> Programme:
    try:
        programme = Programme.model_validate(raw)
    except ValidationError as exc:
        raise InputError(source, sorted(_describe(exc), key=_natural)) from None
    problems = list(cross_reference_problems(programme))
    if not problems:
        problems = list(_planning_problems(programme))
    if problems:
        raise InputError(source, problems)
    return programme


def _planning_problems(programme: Programme) -> Iterator[str]:
    # Imported here: the planner depends on the schema, and validation should catch a wave too short to plan.
    from rollout.planning.planner import PlanError, plan

    for wave in programme.waves:
        try:
            plan(wave, programme)
        except PlanError as exc:
            yield from exc.problems


def _describe(exc: ValidationError) -> Iterator[str]:
    for error in exc.errors(include_url=False):
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key" + _did_you_mean(error["loc"])
        elif error["type"] == "missing":
            message = "is required"
        elif error["type"] == "literal_error":
            message = f"{error['input']!r} is not one of {error['ctx']['expected']}"
        elif error["type"] == "string_pattern_mismatch":  # only ids have a pattern
            message = f"{error['input']!r} is not an id: use a-z, 0-9, '-' and '_', not starting with - or _"
        path = key_path(error["loc"])
        yield f"{path}: {message}" if path else message


def key_path(loc: Iterable[int | str]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.startswith(("function-", "tagged-union")):
            continue
        else:
            text += f".{part}" if text else part
    return text


def _did_you_mean(loc: tuple[int | str, ...]) -> str:
    """' (did you mean 'waves'?)' when the unknown key at `loc` is a near miss for a key allowed there."""
    model: Any = Programme
    for part in loc[:-1]:
        if isinstance(part, str):
            model = _model_in(model)
            field = model.model_fields.get(part) if model else None
            if field is None:
                return ""
            model = field.annotation
    model = _model_in(model)
    return did_you_mean(str(loc[-1]), list(model.model_fields), n=1) if model else ""


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside an annotation such as list[Person], Audience or Holidays | None."""
    while get_origin(annotation) in (Annotated, Union, types.UnionType, list):
        annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _natural(line: str) -> tuple[tuple[Any, ...], str]:
    """Sort key that puts waves[2] before waves[10]."""
    path, _, message = line.partition(":")
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path)), message


def _duplicates(values: Iterable[Any]) -> set[Any]:
    return {value for value, count in Counter(values).items() if count > 1}


def _repeats(values: Iterable[Any]) -> Iterator[tuple[int, Any]]:
    """(index, value) for each value seen earlier in `values`: linear, so 10,000 ids take milliseconds."""
    seen: set[Any] = set()
    for index, value in enumerate(values):
        if value in seen:
            yield index, value
        seen.add(value)


def cross_reference_problems(p: Programme) -> Iterator[str]:
    """Problems pydantic cannot see one field at a time: ids, references between sections, overlaps."""
    yield from _duplicate_ids(p)
    yield from _numbering_problems(p)
    yield from _workshop_problems(p)
    levels = [level.after_days for level in p.escalation.levels]
    if levels != sorted(levels) or _duplicates(levels):
        yield "escalation.levels: after_days must increase from one level to the next"
    lcp_ids, numbers = {lcp.id for lcp in p.lcps}, {w.number for w in p.workshops}  # sets: linear checks
    for i, wave in enumerate(p.waves):
        yield from _wave_problems(i, wave, lcp_ids, numbers)
    yield from _overlapping_waves(p)


def _duplicate_ids(p: Programme) -> Iterator[str]:
    for name, ids in (
        ("roles", [r.id for r in p.roles]),
        ("sectors", [s.id for s in p.sectors]),
        ("lcps", [lcp.id for lcp in p.lcps]),
        ("waves", [w.id for w in p.waves]),
    ):
        for i, value in _repeats(ids):
            yield f"{name}[{i}].id: duplicate id {value!r}"


def _numbering_problems(p: Programme) -> Iterator[str]:
    stage_numbers = [s.number for s in p.stages]
    if sorted(stage_numbers) != list(range(1, len(stage_numbers) + 1)):
        yield f"stages: numbers must run 1..{len(stage_numbers)} without gaps, got {sorted(stage_numbers)}"
    numbers = [w.number for w in p.workshops]
    if sorted(numbers) != list(range(1, len(numbers) + 1)):
        yield f"workshops: numbers must run 1..{len(numbers)} without gaps or repeats, got {sorted(numbers)}"


def _workshop_problems(p: Programme) -> Iterator[str]:
    last = max(w.number for w in p.workshops)
    sector_ids, role_ids = set(p.sector_ids), set(p.role_ids)
    for i, workshop in enumerate(p.workshops):
        where = f"workshops[{i}]"
        for j, sector in enumerate(workshop.audience.sectors):
            if sector not in sector_ids:
                yield f"{where}.audience.sectors[{j}]: unknown sector {sector!r}"
        for j, role in enumerate(workshop.audience.roles):
            if role not in role_ids:
                yield f"{where}.audience.roles[{j}]: unknown role {role!r}"
        for j, action in enumerate(workshop.actions):
            if action.due.anchor == "next_workshop" and workshop.number == last:
                yield f"{where}.actions[{j}].due: the last workshop has no next workshop"


def _wave_problems(i: int, wave: Wave, lcp_ids: set[str], numbers: set[int]) -> Iterator[str]:
    """waves[i]'s references: its LCPs, its date overrides and its cancelled workshops."""
    for j, lcp in enumerate(wave.lcps):
        if lcp not in lcp_ids:
            yield f"waves[{i}].lcps[{j}]: unknown LCP {lcp!r}"
    for j, lcp in _repeats(wave.lcps):
        yield f"waves[{i}].lcps[{j}]: LCP {lcp!r} is listed twice"
    yield from _override_problems(i, wave, numbers)
    for j, number in enumerate(wave.cancelled_workshops):
        if number not in numbers:
            yield f"waves[{i}].cancelled_workshops[{j}]: no workshop number {number}"


def _override_problems(i: int, wave: Wave, numbers: set[int]) -> Iterator[str]:
    for j, override in enumerate(wave.overrides):
        if override.workshop not in numbers:
            yield f"waves[{i}].overrides[{j}].workshop: no workshop number {override.workshop}"
        elif not wave.start <= override.date <= wave.end:
            yield f"waves[{i}].overrides[{j}].date: {override.date} is outside the wave ({wave.start} to {wave.end})"
    for j, number in _repeats(o.workshop for o in wave.overrides):
        yield f"waves[{i}].overrides[{j}].workshop: workshop {number} is overridden twice"


def _overlapping_waves(p: Programme) -> Iterator[str]:
    """Waves that share an LCP and overlap in time: a sweep per LCP by start date (n log n, not every pair)."""
    by_lcp: dict[str, list[int]] = {}
    for index, wave in enumerate(p.waves):
        for lcp in dict.fromkeys(wave.lcps):
            by_lcp.setdefault(lcp, []).append(index)
    shared: dict[tuple[int, int], set[str]] = {}
    for lcp, indexes in by_lcp.items():
        latest: int | None = None  # the wave seen so far that ends last
        for index in sorted(indexes, key=lambda k: (p.waves[k].start, k)):
            wave = p.waves[index]
            if latest is not None and wave.start <= p.waves[latest].end:
                shared.setdefault((min(latest, index), max(latest, index)), set()).add(lcp)
            if latest is None or wave.end > p.waves[latest].end:
                latest = index
    for (i, j), lcps in sorted(shared.items()):
        yield (
            f"waves[{j}]: overlaps waves[{i}] ({p.waves[i].id}) for LCP {', '.join(map(repr, sorted(lcps)))}; "
            "an LCP can be in one wave at a time"
        )

"""Passing large values to tasks."""

from __future__ import annotations

from typing import TypeVar, cast

from prefect.utilities.annotations import quote

T = TypeVar("T")


def as_is(value: T) -> T:
    """`value` for a task argument, handed over untouched: Prefect would otherwise walk all of it (the programme,
    a digest set, a launch plan) looking for futures, for every task of every run. Typed as the value itself, which
    is what the task receives."""
    return cast(T, quote(value))

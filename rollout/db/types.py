"""Column types shared by every table (the warehouse pattern: Annotated types, one definition each)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from sqlalchemy import JSON, DateTime, Dialect, String, TypeDecorator, func
from sqlalchemy.orm import mapped_column

from rollout.limits import EMAIL_LENGTH, ID_LENGTH, NAME_LENGTH


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stored as UTC; always returned timezone-aware. Naive datetimes are refused, not guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; give it a time zone")
        utc = value.astimezone(dt.UTC)
        # SQLite has no time zone type: store naive UTC there, tz-aware elsewhere.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


intpk = Annotated[int, mapped_column(primary_key=True)]
str_id = Annotated[str, mapped_column(String(ID_LENGTH), primary_key=True)]
name_str = Annotated[str, mapped_column(String(NAME_LENGTH))]
email_str = Annotated[str, mapped_column(String(EMAIL_LENGTH))]
short_str = Annotated[str, mapped_column(String(ID_LENGTH))]
utc_time = Annotated[dt.datetime, mapped_column(UTCDateTime())]
created_at = Annotated[dt.datetime, mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())]
json_data = Annotated[Any, mapped_column(JSON)]

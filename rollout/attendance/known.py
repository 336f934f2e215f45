"""What the reconciler knows of attendance: who came to which recent workshop, and whether it is known at all.

Attendance of a workshop is known once its Teams report was collected or anyone was recorded for it (a mark, an
import, the "I'm here" page). Loaded with two SELECTs alongside the reconciler's snapshot.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from rollout.db import models


@dataclass(frozen=True)
class KnownAttendance:
    present: dict[int, frozenset[int]] = field(default_factory=dict)  # workshop id -> contact ids who came
    absent: dict[int, frozenset[int]] = field(default_factory=dict)  # workshop id -> contacts marked absent
    known: frozenset[int] = frozenset()  # workshops whose attendance is known

    def came(self, workshop_id: int, contact_id: int) -> bool:
        return contact_id in self.present.get(workshop_id, ())


NOTHING_KNOWN = KnownAttendance()


def load_known_attendance(connection: Connection, since: dt.datetime) -> KnownAttendance:
    At, Co, Wk = models.Attendance, models.AttendanceCollection, models.Workshop
    recent = select(Wk.id).where(Wk.starts_at >= since).scalar_subquery()
    present: dict[int, set[int]] = defaultdict(set)
    absent: dict[int, set[int]] = defaultdict(set)
    for workshop_id, contact_id, is_present in connection.execute(
        select(At.workshop_id, At.contact_id, At.present).where(At.workshop_id.in_(recent))
    ):
        (present if is_present else absent)[workshop_id].add(contact_id)
    collected = set(
        connection.execute(select(Co.workshop_id).where(Co.status == "collected", Co.workshop_id.in_(recent))).scalars()
    )
    return KnownAttendance(
        present={k: frozenset(v) for k, v in present.items()},
        absent={k: frozenset(v) for k, v in absent.items()},
        known=frozenset(collected | set(present) | set(absent)),
    )

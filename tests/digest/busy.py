"""The Leeds programme at its busiest, for the digest's size and height: all 11 LCPs with partners and hubs.

As of Monday 15 May 2023, 08:00 UK time. Wave 1 (3 LCPs) held all six workshops; its actions are overdue by up to
200 days. Wave 2 (4 LCPs) has held two workshops and invited about 30 people per LCP to the next, on Tue 23 May.
Wave 3's LCPs already have partners and hubs (imported) but the wave has not started. Deterministic: no randomness.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from rollout.config import Programme
from rollout.db import models
from rollout.programme.progress import create_hub, move_hub
from rollout.programme.sync import sync_programme
from tests.digest.conftest import LONDON, local, org

BUSY_AS_OF = dt.datetime(2023, 5, 15, 8, 0, tzinfo=LONDON).astimezone(dt.UTC)
PARTNERS_PER_LCP = 30
RESPONSES = ("accepted", "none", "declined", "none", "tentative", "none", "none", "none")  # 3 of 8 replied


def _workshops(session: Session, programme: Programme, wave_id: str, dates: list[dt.date]) -> dict[int, int]:
    ids = {}
    for number, day in enumerate(dates, start=1):
        spec = next(w for w in programme.workshops if w.number == number)
        row = models.Workshop(
            wave_id=wave_id,
            number=number,
            title=spec.title,
            starts_at=local(day.year, day.month, day.day),
            ends_at=local(day.year, day.month, day.day, 12),
            format=spec.format,
            venue=spec.venue,
            status="scheduled",
            event_id=f"evt-{wave_id}-{number}",
        )
        session.add(row)
        session.flush()
        ids[number] = row.id
    return ids


def build_busy(session: Session, programme: Programme) -> None:
    sync_programme(session, programme)
    roles = [r.id for r in programme.roles]
    wave1 = _workshops(
        session,
        programme,
        "wave-1",
        [
            dt.date(2022, 10, 11),
            dt.date(2022, 11, 1),
            dt.date(2022, 11, 22),
            dt.date(2022, 12, 13),
            dt.date(2023, 1, 24),
            dt.date(2023, 2, 28),
        ],
    )
    wave2 = _workshops(
        session,
        programme,
        "wave-2",
        [
            dt.date(2023, 4, 18),
            dt.date(2023, 5, 9),
            dt.date(2023, 5, 23),
            dt.date(2023, 6, 13),
            dt.date(2023, 7, 4),
            dt.date(2023, 8, 29),
        ],
    )
    wave_of = {lcp: wave.id for wave in programme.waves for lcp in wave.lcps}
    for n, lcp in enumerate(programme.lcps):
        wave = wave_of[lcp.id]
        for p in range(PARTNERS_PER_LCP):
            # Every LCP misses one or two roles; the first few partners play most of them.
            played = roles[p % 4 : p % 4 + 2] if p else roles[: 4 - n % 2]
            row = org(
                session,
                lcp.id,
                f"{lcp.name} Community Organisation {p + 1:02d}",
                ("health", "council", "third_sector")[p % 3],
                played,
                (f"Contact {p + 1:02d} of {lcp.name}", f"contact{p + 1:02d}@{lcp.id}.example.org", True),
            )
            contact = session.query(models.Contact).filter_by(organisation_id=row.id).one()
            if p < 8:  # 8 hubs per LCP, imported in January; half of them moved since
                since = local(2023, 2, 10) if p == 6 else local(2023, 1, 5)  # p 6: stalled at stage 1 on 12 May
                hub = create_hub(session, row, 1 + p % 3, by="import", source="import", at=since)
                if p % 2 and wave != "wave-3":
                    move_hub(
                        session, hub, hub.stage + 1, by=contact.name, source="checkin", at=local(2023, 5, 10 + p % 4)
                    )
                if p in (0, 2) and wave == "wave-1":
                    session.add(
                        models.Escalation(
                            hub_id=hub.id,
                            reason="overdue_actions",
                            stalled_since=dt.date(2023, 1, 10),
                            level=3,
                            status="open",
                            created_at=local(2023, 1, 10),
                        )
                    )
            if wave == "wave-1":
                for number in range(1, 7):
                    due = dt.date(2022, 10, 25) + dt.timedelta(days=28 * (number - 1))
                    session.add(
                        models.Action(
                            key=f"busy:{lcp.id}:{p}:{number}",
                            workshop_id=wave1[number],
                            lcp_id=lcp.id,
                            organisation_id=row.id,
                            title=f"Follow-up action from workshop {number}",
                            owner_role="each_partner",
                            due_date=due,
                            status="open" if (p + number) % 3 == 0 else "done",
                        )
                    )
            if wave == "wave-2":
                for number in (1, 2):
                    session.add(
                        models.Action(
                            key=f"busy:{lcp.id}:{p}:{number}",
                            workshop_id=wave2[number],
                            lcp_id=lcp.id,
                            organisation_id=row.id,
                            title=f"Share one example of unmet need ({number})",
                            owner_role="each_partner",
                            due_date=dt.date(2023, 5, 2) + dt.timedelta(days=7 * number),
                            status="open" if p % 4 == 0 else "done",
                        )
                    )
                session.add(
                    models.Invitation(
                        workshop_id=wave2[3],
                        email=contact.email,
                        name=contact.name,
                        lcp_id=lcp.id,
                        contact_id=contact.id,
                        response=RESPONSES[p % len(RESPONSES)],
                        status="invited",
                    )
                )
        session.flush()

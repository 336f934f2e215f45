"""The workshop's "I'm here" page: open only on the workshop's date, records each contact once, refuses unknown
addresses politely, and never records on GET; same headers as the check-in page."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from rollout.attendance.here import here_url, issue
from rollout.checkin.tokens import codec
from rollout.db import models
from tests.checkin.conftest import PUBLIC_URL, ServePage
from tests.reconcile.builders import d, local
from tests.reconcile.db_setup import import_sample, plan_in_database_only
from tests.reconcile.scenario import sample_rows

ON_THE_DAY = local(d("2022-11-15"), 10, 15)  # workshop 2, at the venue


def setup(sessions, programme) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    import_sample(sessions, programme)
    plan_in_database_only(sessions, programme, local(d("2022-09-20")))
    with sessions() as session:
        workshop = session.scalars(select(models.Workshop).where(models.Workshop.number == 2)).one()
        return here_url(codec(), workshop, programme).removeprefix(PUBLIC_URL), workshop.id


def present(sessions) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return [
            (email, source)
            for email, source in session.execute(
                select(models.Contact.email, models.Attendance.source).join(
                    models.Attendance, models.Attendance.contact_id == models.Contact.id
                )
            ).tuples()
        ]


def test_a_partner_checks_in_once_on_the_day(sessions, programme, serve_page: ServePage) -> None:  # type: ignore[no-untyped-def]
    path, _ = setup(sessions, programme)
    page = serve_page(clock=lambda: ON_THE_DAY)
    shown = page.client.get(path)
    assert shown.status_code == 200 and "Let us know you're here" in shown.text and 'name="email"' in shown.text
    assert "content-security-policy" in shown.headers and shown.headers["referrer-policy"] == "no-referrer"
    assert present(sessions) == []  # GET records nothing
    who = sample_rows()[0]["email"]
    done = page.client.post(path, data={"email": who.upper()})
    assert done.status_code == 200 and "checked in" in done.text
    again = page.client.post(path, data={"email": who})
    assert "already checked in" in again.text
    assert present(sessions) == [(who, "checkin")]


def test_an_unknown_address_is_refused_politely(sessions, programme, serve_page: ServePage) -> None:  # type: ignore[no-untyped-def]
    path, _ = setup(sessions, programme)
    page = serve_page(clock=lambda: ON_THE_DAY)
    refused = page.client.post(path, data={"email": "someone@nowhere.example"})
    assert refused.status_code == 200 and "could not find that address" in refused.text
    assert present(sessions) == []


def test_the_link_works_only_on_the_workshops_date(sessions, programme, serve_page: ServePage) -> None:  # type: ignore[no-untyped-def]
    path, workshop_id = setup(sessions, programme)
    who = sample_rows()[0]["email"]
    for moment in (ON_THE_DAY - dt.timedelta(days=1), ON_THE_DAY + dt.timedelta(days=1)):
        page = serve_page(clock=lambda moment=moment: moment)
        assert page.client.get(path).status_code == 404
        assert page.client.post(path, data={"email": who}).status_code == 404
    page = serve_page(clock=lambda: ON_THE_DAY)
    wrong_date = "/here/" + issue(codec(), workshop_id, d("2022-11-14"))  # signed, but for another day
    assert page.client.get(wrong_date).status_code == 404
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert page.client.post(tampered, data={"email": who}).status_code == 404
    assert present(sessions) == []

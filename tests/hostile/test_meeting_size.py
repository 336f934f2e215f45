"""A workshop Exchange would refuse (over 500 attendees) stops the launch before anything is written."""

from __future__ import annotations

import pytest

from rollout.config import Programme
from rollout.errors import InputError
from rollout.planning.audience import PartnerContact
from rollout.planning.wave_plan import plan_wave
from rollout.programme.launch import refuse_oversized_meetings


def _partners(programme: Programme, lcp: str, count: int) -> list[PartnerContact]:
    return [
        PartnerContact(
            contact_id=n,
            name=f"Partner {n}",
            email=f"p{n}@example.org",
            organisation_id=n,
            organisation=f"Org {n}",
            lcp_id=lcp,
            sector=programme.sector_ids[0],
            roles=frozenset(programme.role_ids),
            hub_status="hub",
            hub_stage=1,
        )
        for n in range(count)
    ]


def test_a_workshop_over_exchanges_attendee_limit_is_refused(programme: Programme) -> None:
    wave = programme.waves[0]
    planned = plan_wave(wave, programme, _partners(programme, wave.lcps[0], 520))
    with pytest.raises(InputError) as refused:
        refuse_oversized_meetings(wave, planned)
    assert refused.value.source == f"wave {wave.id}"
    assert "workshop 1 would invite" in str(refused.value) and "Exchange allows 500" in str(refused.value)


def test_a_workshop_within_the_limit_goes_ahead(programme: Programme) -> None:
    wave = programme.waves[0]
    refuse_oversized_meetings(wave, plan_wave(wave, programme, _partners(programme, wave.lcps[0], 400)))

"""A real tenant is never sent to without the privacy notice every partner email links to."""

from __future__ import annotations

import pytest

from rollout.config import Programme
from rollout.errors import InputError
from rollout.privacy.notice import require_privacy_notice, sends_to_real_tenant


def test_graph_itself_or_no_graph_url_is_a_real_tenant() -> None:
    assert sends_to_real_tenant({})
    assert sends_to_real_tenant({"ROLLOUT_GRAPH_URL": "https://graph.microsoft.com/v1.0"})
    assert not sends_to_real_tenant({"ROLLOUT_GRAPH_URL": "https://127.0.0.1:8443/v1.0"})


def test_sending_to_a_real_tenant_without_a_privacy_url_is_refused_in_one_line(programme: Programme) -> None:
    info = programme.programme.model_copy(update={"privacy_url": None})
    without = programme.model_copy(update={"programme": info})
    with pytest.raises(InputError) as refused:
        require_privacy_notice(without, {})
    assert refused.value.render().count("\n") == 0 and "privacy_url" in refused.value.render()
    require_privacy_notice(without, {"ROLLOUT_GRAPH_URL": "https://127.0.0.1:8443/v1.0"})  # the emulator: optional
    require_privacy_notice(programme, {})  # the shipped config has one


def test_a_privacy_url_must_be_https(programme: Programme) -> None:
    from pydantic import ValidationError

    from rollout.config.schema import ProgrammeInfo

    data = programme.programme.model_dump()
    with pytest.raises(ValidationError, match="privacy_url"):
        ProgrammeInfo.model_validate({**data, "privacy_url": "http://example.org/privacy"})

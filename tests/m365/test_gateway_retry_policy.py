"""One retry policy: Retry-After is a floor, the budget is bounded, permanent errors pass straight through."""

from __future__ import annotations

import email.utils
import time

import pytest

from rollout.m365.retry import RetryableFailure, RetryPolicy, parse_retry_after, run_with_retries
from rollout.outbound.gateway import PermanentGraphError, SystemicGraphError, TransientGraphError


def test_retry_after_is_never_shortened() -> None:
    policy = RetryPolicy(base_delay_s=0.5)
    for attempt in range(1, 6):
        assert policy.delay(attempt, 3.0) >= 3.0


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=4.0)
    assert 0.25 <= policy.delay(1, None) <= 0.5
    assert 1.0 <= policy.delay(3, None) <= 2.0
    assert 2.0 <= policy.delay(10, None) <= 4.0


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    parsed = parse_retry_after(later)
    assert parsed is not None and 27 <= parsed <= 31


def test_transient_failures_are_retried_until_success() -> None:
    calls: list[int] = []
    slept: list[float] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise RetryableFailure(503, "ServiceNotAvailable", "busy", retry_after=2)
        return "done"

    assert run_with_retries(flaky, RetryPolicy(), name="t", sleep=slept.append) == "done"
    assert len(calls) == 3
    assert all(s >= 2 for s in slept)


def test_the_budget_is_bounded_then_a_transient_graph_error_is_raised() -> None:
    slept: list[float] = []

    def always_unavailable() -> None:
        raise RetryableFailure(503, "ServiceNotAvailable", "busy", retry_after=1)

    with pytest.raises(TransientGraphError) as caught:
        run_with_retries(always_unavailable, RetryPolicy(max_attempts=4), name="t", sleep=slept.append)
    assert caught.value.status == 503 and caught.value.code == "ServiceNotAvailable"
    assert len(slept) == 3


def test_throttling_beyond_the_budget_is_systemic_the_tenant_not_the_message() -> None:
    slept: list[float] = []

    def always_throttled() -> None:
        raise RetryableFailure(429, "ApplicationThrottled", "slow down", retry_after=1)

    with pytest.raises(SystemicGraphError) as caught:
        run_with_retries(always_throttled, RetryPolicy(max_attempts=4), name="t", sleep=slept.append)
    assert caught.value.status == 429 and caught.value.code == "ApplicationThrottled"
    assert "throttling the app" in caught.value.render() and "next run carries on" in caught.value.render()
    assert len(slept) == 3


def test_a_token_endpoint_that_never_answers_is_systemic() -> None:
    def no_token() -> None:
        raise RetryableFailure(503, "temporarily_unavailable", "try later", systemic=True)

    with pytest.raises(SystemicGraphError) as caught:
        run_with_retries(no_token, RetryPolicy(max_attempts=2), name="t", sleep=lambda s: None)
    assert "token endpoint" in caught.value.render()


def test_a_retry_after_beyond_the_time_budget_gives_up_at_once() -> None:
    slept: list[float] = []

    def far_future() -> None:
        raise RetryableFailure(503, "ServiceNotAvailable", "maintenance", retry_after=600)

    with pytest.raises(TransientGraphError):
        run_with_retries(far_future, RetryPolicy(max_elapsed_s=60), name="t", sleep=slept.append)
    assert slept == []


def test_permanent_errors_are_not_retried() -> None:
    calls: list[int] = []

    def forbidden() -> None:
        calls.append(1)
        raise PermanentGraphError(403, "ErrorAccessDenied", "Access is denied.")

    with pytest.raises(PermanentGraphError):
        run_with_retries(forbidden, RetryPolicy(), name="t", sleep=lambda s: None)
    assert calls == [1]

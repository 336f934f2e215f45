"""`rollout deploy` registers deployments, limits and automations by name; run twice, it changes nothing."""

from __future__ import annotations

import pytest
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.client.orchestration import get_client

from deployments.definitions import deployment_specs
from rollout.config import Programme
from tasks.delivery import SYSTEMIC_EVENT

pytestmark = pytest.mark.usefixtures("prefect_server")

POOL = "rollout-deploy-test"


@pytest.fixture
def deploy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    CustomWebhookNotificationBlock(name="ops", url="http://127.0.0.1:9/hook").save("rollout-ops", overwrite=True)
    monkeypatch.setenv("ROLLOUT_CLIENT_ID", "deploy-test-app")
    monkeypatch.setenv("ROLLOUT_NOTIFY_BLOCK", "custom-webhook/rollout-ops")
    monkeypatch.delenv("ROLLOUT_ORGANISER", raising=False)


def _state() -> dict[str, object]:
    with get_client(sync_client=True) as client:
        automations = {a.name: a.model_dump(mode="json", exclude={"id"}) for a in client.read_automations()}
        limits = {
            limit.name: (limit.limit, limit.slot_decay_per_second)
            for limit in client.read_global_concurrency_limits(limit=200, offset=0)
        }
        deployments = {d.name: (d.id, d.entrypoint, d.job_variables) for d in client.read_deployments()}
    return {"automations": automations, "limits": limits, "deployments": deployments}


@pytest.mark.usefixtures("deploy_settings")
def test_deploy_twice_changes_nothing_the_second_time(run_cli, programme: Programme) -> None:  # type: ignore[no-untyped-def]
    first = run_cli("deploy", "--pool", POOL)
    assert first.exit_code == 0, first.stderr
    after_first = _state()
    second = run_cli("deploy", "--pool", POOL)
    assert second.exit_code == 0, second.stderr
    assert _state() == after_first
    assert "created" not in second.stdout and "updated" not in second.stdout
    assert second.stdout.count(": unchanged") == 2 + 4  # two limits, four automations


@pytest.mark.usefixtures("deploy_settings")
def test_deployments_resolve_from_the_installed_package_and_share_the_limits(run_cli, programme: Programme) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("deploy", "--pool", POOL).exit_code == 0
    with get_client(sync_client=True) as client:
        for spec in deployment_specs(programme):
            deployment = client.read_deployment_by_name(spec.full_name)
            module, function = spec.entrypoint.split(":")
            assert deployment.entrypoint == f"{module}.{function}"  # a module path: no checkout needed
            assert deployment.path in (None, ".", "") or not deployment.path.startswith("/work")
            assert deployment.job_variables["env"]["ROLLOUT_SHARED_LIMITS"] == "prefect"
            assert deployment.work_pool_name == POOL
        names = {a.name for a in client.read_automations()}
    assert {
        "rollout: a run failed",
        "rollout: daily reconcile is late",
        "rollout: launch waiting for approval",
        "rollout: delivery stopped",
    } <= names


@pytest.mark.usefixtures("deploy_settings")
def test_every_automation_notifies_through_the_named_block_and_names_the_run(run_cli) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("deploy", "--pool", POOL).exit_code == 0
    block = CustomWebhookNotificationBlock.load("rollout-ops")
    with get_client(sync_client=True) as client:
        automations = [a for a in client.read_automations() if a.name.startswith("rollout: ")]
    for automation in automations:
        (action,) = automation.actions
        assert action.block_document_id == block._block_document_id  # type: ignore[union-attr]
        assert "ui_url" in action.body or "event.payload.cause" in action.body  # type: ignore[union-attr]
    systemic = next(a for a in automations if a.name == "rollout: delivery stopped")
    assert systemic.trigger.expect == {SYSTEMIC_EVENT}  # type: ignore[union-attr]


def test_deploy_without_the_app_id_registers_nothing_and_says_which_setting(  # type: ignore[no-untyped-def]
    run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROLLOUT_CLIENT_ID", raising=False)
    before = _state()
    result = run_cli("deploy", "--pool", "rollout-never-created")
    assert result.exit_code == 2
    assert "ROLLOUT_CLIENT_ID" in result.stderr and "Traceback" not in result.stderr
    assert _state() == before


def test_a_notification_block_that_does_not_exist_is_named(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ROLLOUT_CLIENT_ID", "deploy-test-app")
    monkeypatch.setenv("ROLLOUT_NOTIFY_BLOCK", "ms-teams-webhook/nobody-made-this")
    result = run_cli("deploy", "--pool", POOL)
    assert result.exit_code == 2
    assert "nobody-made-this" in result.stderr

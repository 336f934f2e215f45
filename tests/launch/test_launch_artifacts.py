"""What a launch shows in the Prefect UI: the plan as one readable table, one launch artifact stating the outcome,
dry runs named and tagged as such, and (slow) the real Prefect UI in Chromium at 1440 px without cut columns."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter, FlowRunFilterTags
from prefect.client.schemas.sorting import ArtifactSort

from flows.launch_wave import launch_wave
from rollout.config import Programme
from tests.conftest import SAMPLE_PARTNERS

AS_OF = dt.datetime(2022, 9, 1, 9, tzinfo=dt.UTC)
INTERNAL_KEY = re.compile(r"event:wave-\d+:workshop-\d+")


def latest_markdown(key: str) -> str:
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])), sort=ArtifactSort.CREATED_DESC, limit=1
        )
    assert artifacts, f"no artifact {key}"
    return str(artifacts[0].data)


def wave_runs(tag: str) -> list[tuple[str, list[str]]]:
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[tag])))
    return [(run.name, list(run.tags)) for run in runs]


@pytest.mark.usefixtures("prefect_server")
def test_a_dry_run_is_named_and_tagged_and_its_artifacts_say_nothing_was_sent(data_dir: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("partners", "import", str(SAMPLE_PARTNERS)).exit_code == 0

    launch_wave(wave="wave-1", as_of=AS_OF, dry_run=True)

    names = {name for name, tags in wave_runs("dry-run") if "wave:wave-1" in tags}
    assert names == {"wave-1 · launch (dry run)"}
    plan = latest_markdown("wave-1-plan")
    rows = [line for line in plan.splitlines() if re.match(r"\| \d+ \| ", line)]
    assert [row.split(" | ")[0] for row in rows[:6]] == [f"| {n}" for n in range(1, 7)]  # the number is a column
    assert not re.search(r"\| \d+\. ", plan)  # no "1." list syntax in a cell
    assert "| LCP | No. 1 | No. 2 | No. 3 | No. 4 | No. 5 | No. 6 |" in plan  # people invited per LCP
    assert re.search(r"^\| Woodsley &amp; Holt Park( \| \d+){6} \|$", plan, flags=re.MULTILINE)
    launch = latest_markdown("launch-wave-1")
    assert launch.startswith("# Wave 1 launch: dry run: nothing was sent")
    assert "Calendar events: 6 created, 0 updated, 0 cancelled." in launch
    assert not INTERNAL_KEY.search(launch) and not INTERNAL_KEY.search(plan)


@pytest.mark.usefixtures("prefect_server")
def test_the_launch_artifact_is_rewritten_with_the_outcome(data_dir: Path, emulator, run_cli) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("partners", "import", str(SAMPLE_PARTNERS)).exit_code == 0

    result = launch_wave(wave="wave-1", as_of=AS_OF, require_approval=False)

    launch = latest_markdown("launch-wave-1")
    people = sum(
        int(n) for n in re.findall(r"^\| \d+ \| [^|]+ \| created \| (\d+) \| sent \|$", launch, flags=re.MULTILINE)
    )
    assert launch.startswith("# Wave 1 launch: launched")
    assert f"People invited: **{people}**." in launch and people > 6
    assert "Sent without an approval step" in launch and "No failures." in launch
    assert "queued for delivery" not in launch and not INTERNAL_KEY.search(launch)
    assert result["queued"] == 6


# -- the real Prefect UI -------------------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def prefect_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`prefect server start` with its UI (the session harness serves the API only). Yields the base URL."""
    port = _free_port()
    home = tmp_path_factory.mktemp("prefect-ui-home")
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_UI_ENABLED": "true",
        "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_URL": "",
    }
    env.pop("PREFECT_API_URL")
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert process.poll() is None, "prefect server start exited"
            assert time.monotonic() < deadline, "the Prefect server with its UI did not start in 120 s"
            time.sleep(1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def latest_artifact_id(key: str) -> str:
    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])), sort=ArtifactSort.CREATED_DESC, limit=1
        )
    return str(artifact.id)


def publish_a_failed_outcome(programme: Programme) -> None:
    """A launch whose second event failed, published the way the flow does, to see the widest status cell."""
    from prefect.artifacts import create_markdown_artifact

    from rollout.db.session import make_engine, session_factory, unit_of_work
    from rollout.programme.launch import prepare_launch
    from rollout.programme.launch_report import LaunchOutcome, outcome_markdown, planned_changes

    engine = make_engine()
    with unit_of_work(session_factory(engine)) as session:
        launch = prepare_launch(session, programme, "wave-2", dt.datetime(2023, 3, 1, 9, tzinfo=dt.UTC))
    engine.dispose()
    keys = [i.key for i in launch.intents]
    statuses = {key: ("sent", None) for key in keys} | {keys[1]: ("failed", "ErrorInvalidRecipients")}
    outcome = LaunchOutcome("sent", planned_changes(launch, statuses), "Programme Manager", dt.datetime.now(dt.UTC))
    create_markdown_artifact(
        key="launch-wave-2", markdown=outcome_markdown(launch, outcome, dt.datetime.now(dt.UTC), "Europe/London")
    )


@pytest.mark.slow
def test_the_plan_and_launch_artifacts_fit_the_prefect_ui_at_1440_px(
    data_dir: Path,
    run_cli,  # type: ignore[no-untyped-def]
    programme: Programme,
    prefect_ui: str,
    tmp_path: Path,
) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    from prefect.settings import PREFECT_API_URL, temporary_settings

    assert run_cli("partners", "import", str(SAMPLE_PARTNERS)).exit_code == 0
    with temporary_settings({PREFECT_API_URL: f"{prefect_ui}/api"}):
        launch_wave(wave="wave-2", as_of=dt.datetime(2023, 3, 1, 9, tzinfo=dt.UTC), dry_run=True)
        pages = {"plan": latest_artifact_id("wave-2-plan"), "launch-dry-run": latest_artifact_id("launch-wave-2")}
        publish_a_failed_outcome(programme)
        pages["launch-failed"] = latest_artifact_id("launch-wave-2")
    print(f"Prefect UI screenshots in {tmp_path}")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        for name, artifact_id in pages.items():
            page.goto(f"{prefect_ui}/artifacts/artifact/{artifact_id}")
            page.wait_for_selector(".markdown-renderer table", timeout=60_000)
            page.wait_for_timeout(500)
            page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
            # Prefect draws each Markdown table in a scrolling box, cells unwrapped: a wider table is cut off.
            boxes = page.evaluate(
                "[...document.querySelectorAll('.markdown-renderer__table')]"
                ".map(b => ({room: b.clientWidth, table: b.scrollWidth}))"
            )
            assert boxes and all(b["table"] <= b["room"] for b in boxes), f"{name}: a table is cut off: {boxes}"
            assert page.evaluate("document.documentElement.scrollWidth") <= 1440
            text = page.inner_text(".markdown-renderer")
            assert not INTERNAL_KEY.search(text)
        plan = page.goto(f"{prefect_ui}/artifacts/artifact/{pages['plan']}")
        assert plan is not None
        page.wait_for_selector(".markdown-renderer table", timeout=60_000)
        first_column = page.evaluate(
            "[...document.querySelector('.markdown-renderer table').rows].slice(1).map(r => r.cells[0].innerText)"
        )
        assert first_column == ["1", "2", "3", "4", "5", "6"]
        browser.close()

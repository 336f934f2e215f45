"""A production-shaped Prefect set-up on loopback, as docs/operations.md describes it: a Prefect server in its own
process (on PostgreSQL when given one), `rollout deploy` on a process work pool, and workers in separate processes
with separate Prefect homes, each told only PREFECT_API_URL and the ROLLOUT_* settings. Used by the slow
distributed tests and bench/two_workers.py. Every process is stopped on exit.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

BIN = Path(sys.executable).parent
POOL = "rollout"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _base_environment(home: Path) -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT", "HOME")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@dataclass
class Cluster:
    directory: Path
    rollout_env: Mapping[str, str]  # ROLLOUT_* for the workers and for `rollout deploy`
    prefect_database_url: str | None = None  # PostgreSQL (sync URL) for the Prefect server; None: SQLite
    workers: int = 2
    installed: Path | None = None  # an unpacked rollout wheel the workers and ops import from, before anything else
    api_url: str = ""
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self, name: str) -> dict[str, str]:
        home = self.directory / name
        home.mkdir(parents=True, exist_ok=True)
        env = {**_base_environment(home), "PREFECT_API_URL": self.api_url, **self.rollout_env}
        if self.installed is not None:
            env["PYTHONPATH"] = str(self.installed)
        return env

    def start_server(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self.api_url = f"http://127.0.0.1:{port}/api"
        env = _base_environment(self.directory / "server")
        env["PREFECT_UI_URL"] = f"http://127.0.0.1:{port}"  # the links in notifications
        if self.prefect_database_url:
            env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = (
                make_url(self.prefect_database_url).set(drivername="postgresql+asyncpg").render_as_string(False)
            )
        command = [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
        self._spawn("server", command, env)
        _wait_until(lambda: _healthy(self.api_url), 180, "the Prefect server to answer /health")

    def start_workers(self) -> None:
        for n in range(1, self.workers + 1):
            name = f"worker-{n}"
            command = [str(BIN / "prefect"), "worker", "start", "--pool", POOL, "--name", name, "--limit", "4"]
            self._spawn(name, command, self.env(name), cwd=self.directory)

    def rollout(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """`rollout ARGS` as ops would run it, from outside the repository."""
        return subprocess.run(
            [str(BIN / "rollout"), *args],
            env=self.env("ops"),
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def python(self, code: str) -> str:
        """What `python -c CODE` prints in a worker's environment."""
        done = subprocess.run(
            [sys.executable, "-c", code], env=self.env("ops"), cwd=self.directory, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        return done.stdout

    def run_deployment(self, name: str, parameters: Mapping[str, object]) -> str:
        """Create a flow run of a deployment (as `prefect deployment run` does) and return its id."""
        from prefect.client.orchestration import get_client
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings({PREFECT_API_URL: self.api_url}), get_client(sync_client=True) as client:
            deployment = client.read_deployment_by_name(name)
            run = client.create_flow_run_from_deployment(deployment.id, parameters=dict(parameters))
        return str(run.id)

    def wait_for(self, run_ids: Sequence[str], timeout: float = 900) -> dict[str, str]:
        """Each run's final state name, once every run has one."""
        from prefect.client.orchestration import get_client
        from prefect.settings import PREFECT_API_URL, temporary_settings

        states: dict[str, str] = {}

        def done() -> bool:
            with temporary_settings({PREFECT_API_URL: self.api_url}), get_client(sync_client=True) as client:
                for run_id in run_ids:
                    state = client.read_flow_run(run_id).state  # type: ignore[arg-type]
                    if state is not None and state.is_final():
                        states[run_id] = state.name
            return len(states) == len(run_ids)

        _wait_until(done, timeout, "every flow run to finish", interval=2)
        return states

    def _spawn(self, name: str, command: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        log = (self.directory / f"{name}.log").open("wb")
        process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)

    def stop(self) -> None:
        for process in reversed(self.processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.directory.glob("*.log"))


@contextlib.contextmanager
def running_cluster(cluster: Cluster) -> Iterator[Cluster]:
    try:
        cluster.start_server()
        yield cluster
    finally:
        cluster.stop()


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return bool(json.loads(response.read()))
    except OSError:
        return False


def _wait_until(check: object, timeout: float, what: str, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def unpacked_wheel(repository: Path, directory: Path) -> Path:
    """Build the product's wheel (no editable install) and unpack it, as `pip install` would lay it out."""
    import zipfile

    dist = directory / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(dist), "."],
        cwd=repository,
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("digital_health_rollout-*.whl")
    target = directory / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target

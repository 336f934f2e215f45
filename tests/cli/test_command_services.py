"""Each command builds its services once (one settings read, one programme, one database engine) and closes them."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event
from sqlalchemy.pool import Pool

import rollout.cli.common
import rollout.services
from rollout.services import Services

ROLLOUT = Path(rollout.services.__file__).parent


class Recorder:
    """Every Services a command built, and every database engine anything connected through (a recording hook on
    SQLAlchemy's Engine class and on the composition root; both delegate to the real thing)."""

    def __init__(self) -> None:
        self.built: list[Services] = []
        self.engines: set[int] = set()
        self.closed = 0

    def connected(self, connection: Connection) -> None:
        self.engines.add(id(connection.engine))

    def pooled_connection_closed(self, dbapi_connection: object, record: object) -> None:
        self.closed += 1


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Iterator[Recorder]:
    seen = Recorder()
    build = rollout.services.build_services

    def recording_build(*args: Any, **kwargs: Any) -> Services:
        built = build(*args, **kwargs)
        seen.built.append(built)
        return built

    monkeypatch.setattr(rollout.services, "build_services", recording_build)
    event.listen(Engine, "engine_connect", seen.connected)
    event.listen(Pool, "close", seen.pooled_connection_closed)
    try:
        yield seen
    finally:
        event.remove(Engine, "engine_connect", seen.connected)
        event.remove(Pool, "close", seen.pooled_connection_closed)


COMMANDS = [
    ("status",),
    ("hubs", "list"),
    ("partners", "list"),
    ("actions", "list"),
    ("escalations", "list"),
    ("attendance", "list", "--wave", "wave-1"),
]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_a_command_builds_one_set_of_services_and_uses_one_database_engine(
    run_cli, recorder: Recorder, args: tuple[str, ...]
) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(*args)

    assert result.exit_code == 0, result.stderr
    assert len(recorder.built) == 1
    assert len(recorder.engines) == 1


def test_a_commands_services_are_closed_when_it_ends(run_cli, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("status").exit_code == 0

    assert len(recorder.built) == 1
    assert recorder.closed >= 1  # the engine was disposed: its pooled connections were closed


def test_services_outside_a_command_are_refused() -> None:
    with pytest.raises(RuntimeError, match="command_scope"):
        rollout.cli.common.services(None)


READS_SETTINGS = {"environ", "getenv", "Settings", "from_env", "settings"}


def _cached_functions(tree: ast.AST) -> Iterator[ast.FunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                if name in ("lru_cache", "cache"):
                    yield node


def test_nothing_that_reads_the_environment_or_a_secret_is_cached_for_the_process() -> None:
    offenders = []
    for path in sorted(ROLLOUT.rglob("*.py")):
        for function in _cached_functions(ast.parse(path.read_text(encoding="utf-8"))):
            names = {n.id for n in ast.walk(function) if isinstance(n, ast.Name)}
            names |= {n.attr for n in ast.walk(function) if isinstance(n, ast.Attribute)}
            if names & READS_SETTINGS or any("secret" in name.lower() for name in names):
                offenders.append(f"{path.relative_to(ROLLOUT.parent)}:{function.lineno} {function.name}")
    assert offenders == []

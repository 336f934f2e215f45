"""The weekly digest's side effects, one per task: read the figures, store the snapshot, publish, queue."""

from __future__ import annotations

import datetime as dt

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE

from rollout.db.session import unit_of_work
from rollout.digest import DigestSet, compute_digests, digest_intents, render_markdown, store_snapshot
from rollout.digest.render import md
from rollout.outbound.outbox import enqueue
from rollout.services import Services
from tasks.artifacts import artifact_key


def digest_artifact_key(digests: DigestSet) -> str:
    """'digest-2022-w42': one artifact per ISO week; a re-run adds a version under the same key."""
    return artifact_key("digest", digests.week.label)


# Tasks that take the run's services have no cache policy: a sessionmaker is not data to hash.
@task(name="compute-digest-figures", cache_policy=NONE)
def compute_digest_figures(services: Services, as_of: dt.datetime) -> DigestSet:
    with services.sessions() as session:
        return compute_digests(session, services.programme, as_of)


@task(name="store-digest-snapshot", cache_policy=NONE)
def store_digest_snapshot(services: Services, digests: DigestSet) -> bool:
    """Keep this week's counters for next week's changes; the week's first stored counters stay."""
    with unit_of_work(services.sessions) as session:
        return store_snapshot(session, digests.programme)


@task(name="publish-digest-artifact")
def publish_digest_artifact(digests: DigestSet, sending: bool) -> str:
    key = digest_artifact_key(digests)
    recipients = "\n".join(f"- {md(r.name)} <{md(r.email)}>: {md(r.scope)}" for r, _ in digests.by_recipient)
    mode = "Emailed to the recipients below (once per week)." if sending else "**Not sent**: preview run."
    create_markdown_artifact(
        key=key,
        markdown=f"{render_markdown(digests.programme)}\n## Recipients\n\n{mode}\n\n{recipients}\n",
        description=f"Weekly digest, week of {digests.week.start.isoformat()}",
    )
    return key


@task(name="queue-digest-emails", cache_policy=NONE)
def queue_digest_emails(services: Services, digests: DigestSet) -> list[str]:
    """One mail intent per recipient, keyed by week and address: queuing the same week again adds nothing."""
    intents = digest_intents(digests.by_recipient)
    with unit_of_work(services.sessions) as session:
        return enqueue(session, intents, at=digests.week.as_of)

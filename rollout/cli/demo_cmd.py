"""`rollout demo`: the main job on embedded defaults, so a newcomer sees the programme working."""

from __future__ import annotations

from pathlib import Path

from rollout.cli import partners_cmd, plan_cmd
from rollout.cli.common import ConfigOption, console

SAMPLE_PARTNERS = Path("config/sample_partners.csv")


def demo(config: ConfigOption = None) -> None:
    """Validate the Leeds programme, import the synthetic partners and show wave 1's plan."""
    console.rule("1. The programme file")
    plan_cmd.validate(config)
    console.rule("2. Synthetic partners")
    partners_cmd.import_cmd(SAMPLE_PARTNERS, remove_missing=False, config=config)
    console.rule("3. Wave 1's plan")
    plan_cmd.plan("wave-1", plan_cmd.PlanFormat.table, config)

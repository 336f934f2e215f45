"""A local Microsoft Graph + Entra ID for the demo, tests and CI: real HTTPS on loopback.

Importing this package starts nothing; GraphEmulator.start() (or serve_forever) does.
"""

from rollout.emulator.cli import serve_forever
from rollout.emulator.config import EmulatorConfig
from rollout.emulator.delivery import MailboxItem
from rollout.emulator.emulator import GraphEmulator
from rollout.emulator.requestlog import RequestRecord

__all__ = ["EmulatorConfig", "GraphEmulator", "MailboxItem", "RequestRecord", "serve_forever"]

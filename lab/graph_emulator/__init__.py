"""A local Microsoft Graph + Entra ID for the demo, tests and CI: real HTTPS on loopback.

Importing this package starts nothing; GraphEmulator.start() (or serve_forever) does.
"""

from graph_emulator.cli import serve_forever
from graph_emulator.config import EmulatorConfig
from graph_emulator.delivery import MailboxItem
from graph_emulator.emulator import GraphEmulator
from graph_emulator.requestlog import RequestRecord

__all__ = ["EmulatorConfig", "GraphEmulator", "MailboxItem", "RequestRecord", "serve_forever"]

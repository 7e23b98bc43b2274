"""A faithful simulator of the assessment portal's API, with fault injection (tests, demo).

    app = make_portal_app(SimConfig(...))        # an aiohttp Application
    sim = PortalSimulator(SimConfig(...)); url = await sim.start(); await sim.stop()
    gateway sim portal --port 8088 --faults "error_rate=0.1" --certs DIR
"""

from adapters.portal.simulator.app import make_portal_app
from adapters.portal.simulator.cards import SimCard
from adapters.portal.simulator.config import DEV_PASSWORD, SimConfig, dev_accounts
from adapters.portal.simulator.faults import Faults, Window, parse_faults
from adapters.portal.simulator.keys import STATE
from adapters.portal.simulator.server import PortalSimulator
from adapters.portal.simulator.state import Receipt, SimState, StoredVersion

__all__ = [
    "DEV_PASSWORD",
    "STATE",
    "Faults",
    "PortalSimulator",
    "Receipt",
    "SimCard",
    "SimConfig",
    "SimState",
    "StoredVersion",
    "Window",
    "dev_accounts",
    "make_portal_app",
    "parse_faults",
]

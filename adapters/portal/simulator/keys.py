"""The simulator app's typed keys (aiohttp AppKey): where handlers find its state."""

from __future__ import annotations

from aiohttp import web

from adapters.portal.simulator.state import SimState

STATE = web.AppKey("portal_sim_state", SimState)

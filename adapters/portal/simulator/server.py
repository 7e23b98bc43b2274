"""`PortalSimulator`: the simulated portal running in-process (tests, benchmarks, the demo).

    sim = PortalSimulator(SimConfig(faults=parse_faults("error_rate=0.1"), seed=7))
    url = await sim.start()            # "http://127.0.0.1:<ephemeral port>"
    ...  sim.received, sim.state.current_version("01001", ma_lk), sim.set_faults(Faults())
    await sim.stop()
"""

from __future__ import annotations

from types import TracebackType

from aiohttp import web

from adapters.portal.simulator.app import make_portal_app
from adapters.portal.simulator.config import SimConfig
from adapters.portal.simulator.faults import Faults
from adapters.portal.simulator.keys import STATE
from adapters.portal.simulator.state import Receipt, SimState


class PortalSimulator:
    """A simulated portal on a loopback port; `start` returns its base URL."""

    def __init__(self, config: SimConfig | None = None, *, shutdown_timeout: float = 5.0) -> None:
        self.app = make_portal_app(config)
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    def __repr__(self) -> str:
        return f"PortalSimulator(url={self._url!r}, faults={self.state.faults.spec()!r})"

    @property
    def state(self) -> SimState:
        return self.app[STATE]

    @property
    def url(self) -> str:
        """The base URL; raises RuntimeError before `start`."""
        if self._url is None:
            raise RuntimeError("the portal simulator is not started")
        return self._url

    @property
    def received(self) -> list[Receipt]:
        """Every raw submission received so far, in order."""
        return list(self.state.received)

    def set_faults(self, faults: Faults) -> None:
        """Change the faults now (as `POST /_sim/faults` does)."""
        self.state.set_faults(faults)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0: an ephemeral port) and return the base URL."""
        if self._runner is not None:
            return self.url
        runner = web.AppRunner(self.app, shutdown_timeout=self._shutdown_timeout, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self._runner, self._url = runner, f"http://{shown}:{bound_port}"
        return self._url

    async def stop(self) -> None:
        """Stop listening, release hanging requests, run the app's cleanup. Idempotent."""
        if self._runner is None:
            return
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> PortalSimulator:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

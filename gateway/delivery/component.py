"""The delivery workers as a component of the gateway application (gateway/http/components.py):
started once the store is open, stopped before it closes, with their own HTTP client session.

    make_app(settings, components=[lambda app: DeliveryComponent(app[keys.STORE], directory, ...)])

`gateway serve` adds it when the configuration names a portal accounts file (`[delivery]
accounts_file`, or GATEWAY_PORTAL_ACCOUNTS).
"""

from __future__ import annotations

import aiohttp

from adapters.portal import PortalDirectory, PortalSettings
from gateway.delivery.service import DeliveryService
from gateway.delivery.settings import DeliverySettings
from gateway.outbox import OutboxStore


class DeliveryComponent:
    """Start and stop a DeliveryService over its own client session (module docstring)."""

    name = "delivery"

    def __init__(
        self,
        store: OutboxStore,
        directory: PortalDirectory,
        settings: DeliverySettings | None = None,
        portal_settings: PortalSettings | None = None,
    ) -> None:
        self._store = store
        self._directory = directory
        self._settings = settings or DeliverySettings()
        self._portal_settings = portal_settings
        self._session: aiohttp.ClientSession | None = None
        self.service: DeliveryService | None = None

    def __repr__(self) -> str:
        return f"DeliveryComponent(facilities={len(self._directory)}, running={self.running})"

    @property
    def running(self) -> bool:
        """The workers' dispatcher is alive (what /readyz asks)."""
        return self.service is not None and self.service.running

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        self.service = DeliveryService.for_portal(
            self._store, self._session, self._directory, settings=self._settings,
            portal_settings=self._portal_settings,
        )  # fmt: skip
        await self.service.start()

    async def stop(self) -> None:
        """Let sends in flight finish (DeliverySettings.stop_timeout_seconds), then close."""
        try:
            if self.service is not None:
                await self.service.stop()
        finally:
            if self._session is not None:
                await self._session.close()

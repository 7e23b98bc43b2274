"""The HTTP intake: the API hospitals' HIS call, its authentication, and the watched folder.

`make_app(settings)` builds the aiohttp application (app.py); `gateway serve` runs it
(gateway/commands/serve.py). The API is described in schemas/api/openapi.yaml.
"""

from gateway.http.app import make_app
from gateway.http.components import Component, ComponentLike, TaskComponent

__all__ = ["Component", "ComponentLike", "TaskComponent", "make_app"]

"""The application factory: `make_app(settings)` wires the intake, the store, the callbacks and
the background components into one aiohttp Application (STYLE.md: typed AppKeys, `cleanup_ctx`
for start and stop in reverse order, no module-level singletons).

    app = make_app(load_settings(path), components=[delivery_workers])
    web.run_app(app, host=..., port=..., ssl_context=server_ssl_context(settings.tls))

Startup order (cleanup_ctx; shutdown runs it backwards): the CPU worker thread, the outbox
store (opened from `settings.store_dsn` unless one is given), the intake and its worker process
(cpu.py), the callbacks
database, then the components: outbox maintenance, the callback dispatcher, the watched folder,
and last the ones the caller passes (e.g. the delivery workers; see components.py).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from aiohttp import web

from gateway.config import Settings
from gateway.http import callbacks, keys, portal_face, routes_dossiers, routes_ops
from gateway.http.auth import Authenticator
from gateway.http.callback_store import CallbackStore
from gateway.http.components import ComponentLike, ComponentSet, TaskComponent
from gateway.http.cpu import make_runner
from gateway.http.dispatcher import CallbackDispatcher, feed_for
from gateway.http.inbox import InboxWatcher
from gateway.http.intake import Intake
from gateway.http.logs import observe
from gateway.http.metrics import make_metrics
from gateway.http.ratelimit import Monotonic, RateLimiter
from gateway.http.tokens import TokenBook
from gateway.outbox import open_store
from gateway.outbox.checkpoint import GatewayCheckpointSigner
from gateway.outbox.maintenance import checkpoint_periodically, prune_periodically
from gateway.outbox.store import OutboxStore
from gateway.outbox.timeutil import utc_now
from gateway.signing import FileKeySigner, PassphraseSource, TrustStore

Clock = Callable[[], datetime]


def make_app(
    settings: Settings,
    *,
    store: OutboxStore | None = None,
    components: Sequence[ComponentLike] = (),
    clock: Clock | None = None,
    monotonic: Monotonic | None = None,
) -> web.Application:
    """The gateway's HTTP application.

    `store`: an open store to use (the caller keeps ownership: it is not closed here, and outbox
    maintenance is then the caller's); by default one is opened from `settings.store_dsn` and
    closed at shutdown. `components`: background components started after the gateway's own
    (components.py). `clock` (aware UTC datetimes) and `monotonic` (seconds, for rate limits)
    are injectable for tests. Raises SigningFault when the trust directory or the keys cannot
    be loaded.
    """
    now = clock or utc_now
    app = web.Application(middlewares=[observe], client_max_size=settings.limits.json_body_bytes)
    app[keys.SETTINGS] = settings
    app[keys.CLOCK] = now
    app[keys.METRICS] = make_metrics()
    trust = TrustStore.load(settings.trust_dir, revocation=settings.signing.revocation)
    passphrase = PassphraseSource(env=settings.signing.passphrase_env, file=settings.signing.passphrase_file)
    app[keys.TRUST] = trust
    app[keys.SIGNER] = FileKeySigner.from_pki(settings.keys_dir, passphrase)  # receipts, notices
    app[keys.AUTH] = Authenticator(settings, trust.registry, TokenBook(settings.tokens_path), now)
    app[keys.LIMITER] = RateLimiter(settings.rate_for, monotonic or time.monotonic)
    routes_dossiers.add_routes(app)
    callbacks.add_routes(app)
    routes_ops.add_routes(app)
    if settings.portal_face.enabled:  # the portal's own paths (gateway/http/portal_face)
        portal_face.install(app, monotonic)
    app.cleanup_ctx.append(_executor)
    app.cleanup_ctx.append(_store(store))
    app.cleanup_ctx.append(_callbacks)
    app.cleanup_ctx.append(_components(store is None, components))
    return app


async def _executor(app: web.Application) -> AsyncIterator[None]:
    # One thread for CPU-bound work in this process: notices, and the checks with `[intake]
    # worker = "thread"` (cpu.py says why one).
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-cpu")
    app[keys.EXECUTOR] = executor
    yield
    executor.shutdown(wait=True)


def _store(given: OutboxStore | None) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(app: web.Application) -> AsyncIterator[None]:
        settings = app[keys.SETTINGS]
        store = given
        if store is None:
            store = await open_store(
                settings.store_dsn,
                clock=app[keys.CLOCK],
                settings=settings.store.outbox_settings(),
                checkpoint_signer=GatewayCheckpointSigner(app[keys.SIGNER]),
            )
        runner = make_runner(settings, app[keys.TRUST], app[keys.SIGNER], app[keys.EXECUTOR])
        try:
            await runner.start()
        except BaseException:
            if given is None:
                await store.close()
            raise
        app[keys.STORE] = store
        app[keys.METRICS].intake_waiting.set_function(runner.waiting)
        app[keys.INTAKE] = Intake(store=store, runner=runner, clock=app[keys.CLOCK], metrics=app[keys.METRICS],
                                  schema_version=settings.schema_version)
        try:
            yield
        finally:
            await runner.close()
            if given is None:
                await store.close()

    return context


async def _callbacks(app: web.Application) -> AsyncIterator[None]:
    store = CallbackStore(app[keys.SETTINGS].callbacks_db)
    await store.open()
    app[keys.CALLBACKS] = store
    try:
        yield
    finally:
        await store.close()


def _components(
    owns_store: bool, extra: Sequence[ComponentLike]
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(app: web.Application) -> AsyncIterator[None]:
        items = [*_own_components(app, owns_store), *extra]
        running = ComponentSet(items)
        app[keys.COMPONENTS] = running
        await running.start_all(app)
        try:
            yield
        finally:
            await running.stop_all()

    return context


def _own_components(app: web.Application, owns_store: bool) -> list[ComponentLike]:
    settings = app[keys.SETTINGS]
    store = app[keys.STORE]
    own: list[ComponentLike] = []
    if owns_store:
        own.append(TaskComponent("outbox.checkpoint", lambda: checkpoint_periodically(
            store, settings.store.checkpoint_interval_seconds)))
        own.append(TaskComponent("outbox.prune", lambda: prune_periodically(
            store, settings.store.prune_interval_seconds, app[keys.CLOCK])))
    feed = feed_for(store)
    if settings.callbacks.enabled and feed is not None:
        own.append(CallbackDispatcher(
            store=store, callbacks=app[keys.CALLBACKS], feed=feed, signer=app[keys.SIGNER],
            executor=app[keys.EXECUTOR], config=settings.callbacks, clock=app[keys.CLOCK],
            metrics=app[keys.METRICS],
        ))
    if settings.inbox.dir is not None:
        own.append(InboxWatcher(
            directory=settings.inbox.dir, intake=app[keys.INTAKE], config=settings.inbox,
            max_bytes=settings.limits.dossier_body_bytes, metrics=app[keys.METRICS],
        ))
    return own

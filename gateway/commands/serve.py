"""`gateway serve` runs the HTTP intake; `gateway tokens issue|revoke|list` manages bearer tokens.

    gateway serve [--config FILE] [--host H] [--port P] [--data DIR] [--inbox DIR [--inbox-facility CODE]]
    gateway tokens issue --facility 01001 [--expires-days 365 | --no-expiry] [--note TEXT]
    gateway tokens issue --operator alice --role operator
    gateway tokens revoke TOKEN_ID
    gateway tokens list [--json]

With no configuration at all, `serve` keeps everything under ./data and, when no trust directory
is configured and none exists yet, creates a development PKI in ./data/pki (facilities 01001 and
79001, or the configured ones) and says so: a local run works out of the box, and a real
deployment names its trust directory and keys in the file. A token is printed once and stored
only as its SHA-256 hash (`<data>/tokens.json`); the running gateway sees a new or revoked token
on its next request.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.config import ConfigError, InboxConfig, Role, Settings, load_settings
from gateway.http.components import ComponentLike
from gateway.http.tokens import TokenFile, TokenFileError
from gateway.signing import SigningError

DEV_FACILITIES = ("01001", "79001")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `serve` and `tokens` to the CLI."""
    serve = subparsers.add_parser("serve", help="run the HTTP intake (API, watched folder, callbacks)",
                                  description="Run the gateway's HTTP API until interrupted.")
    _common(serve)
    serve.add_argument("--host", help="address to listen on (default from settings: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8080)")
    serve.add_argument("--inbox", type=Path, metavar="DIR", help="watch DIR for documents of legacy HIS")
    serve.add_argument("--inbox-facility", metavar="CODE", help="the facility the watched folder's documents are from")
    serve.set_defaults(handler=run_serve)

    tokens = subparsers.add_parser("tokens", help="issue, revoke and list bearer tokens")
    actions = tokens.add_subparsers(dest="tokens_command", metavar="ACTION")
    issue = actions.add_parser("issue", help="issue a token (printed once)")
    _common(issue)
    who = issue.add_mutually_exclusive_group(required=True)
    who.add_argument("--facility", metavar="CODE", help="a facility's token (5-character MACSKCB)")
    who.add_argument("--operator", metavar="NAME", help="a named operator's token")
    issue.add_argument("--role", choices=[r.value for r in Role], default=Role.VIEWER.value,
                       help="the operator's role (default viewer)")
    when = issue.add_mutually_exclusive_group()
    when.add_argument("--expires-days", type=float, default=365.0, help="lifetime in days (default 365)")
    when.add_argument("--no-expiry", action="store_true", help="a token that does not expire")
    issue.add_argument("--note", default="", help="what the token is for (kept in the tokens file)")
    issue.set_defaults(handler=run_issue)
    revoke = actions.add_parser("revoke", help="revoke a token by its id")
    _common(revoke)
    revoke.add_argument("token_id", metavar="TOKEN_ID")
    revoke.set_defaults(handler=run_revoke)
    listing = actions.add_parser("list", help="list tokens (never their secrets)")
    _common(listing)
    listing.add_argument("--json", action="store_true", help="one JSON object per token per line")
    listing.set_defaults(handler=run_list)
    tokens.set_defaults(handler=lambda _args: _usage(tokens))


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE", help="TOML settings file")
    parser.add_argument("--data", type=Path, metavar="DIR", help="data directory (default ./data)")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings: file and environment, then the command line. Raises ConfigError."""
    settings = load_settings(args.config)
    if args.data is not None:
        settings = replace(settings, data_dir=args.data)
    if getattr(args, "host", None):
        settings = replace(settings, host=args.host)
    if getattr(args, "port", None) is not None:
        settings = replace(settings, port=args.port)
    if getattr(args, "inbox", None) is not None or getattr(args, "inbox_facility", None):
        inbox: InboxConfig = settings.inbox
        settings = replace(settings, inbox=replace(
            inbox, dir=args.inbox or inbox.dir, facility=args.inbox_facility or inbox.facility))
    return settings


def delivery_components(settings: Settings) -> Sequence[ComponentLike]:
    """The delivery workers and the face's card lookups (both ask the portal with the gateway's
    own accounts) to run beside the API: none without a portal accounts file (`[delivery]
    accounts_file` or GATEWAY_PORTAL_ACCOUNTS). Raises PortalConfigError for an accounts file
    that cannot be used (a missing secret, a malformed entry)."""
    if settings.delivery.accounts_file is None:
        return ()
    from adapters.portal import load_directory
    from gateway.delivery.component import DeliveryComponent
    from gateway.http import keys
    from gateway.http.portal_face import portal_cards

    directory = load_directory(settings.delivery.accounts_file)
    workers = settings.delivery.workers
    # the same portal accounts answer the face's card lookups (KQNhanLichSuKCB2024)
    return (lambda app: DeliveryComponent(app[keys.STORE], directory, workers), portal_cards(directory))


def ensure_dev_pki(settings: Settings) -> bool:
    """Create a development PKI under `<data>/pki` when trust and keys are not configured and
    none exists; returns True when one was made."""
    if settings.signing.trust_dir is not None or settings.signing.keys_dir is not None:
        return False
    if settings.trust_dir.exists():
        return False
    from gateway.signing.devpki import init_dev_pki

    facilities = tuple(settings.facilities) or DEV_FACILITIES
    init_dev_pki(settings.keys_dir, facilities)
    print(f"gateway serve: no trust directory configured; created a DEVELOPMENT PKI in "
          f"{settings.keys_dir} for facilities {', '.join(facilities)} (never use it in production)",
          file=sys.stderr)
    return True


def run_serve(args: argparse.Namespace) -> int:
    """Run the API until interrupted; exit 2 for bad settings, 1 when keys or trust fail."""
    from aiohttp import web

    from gateway.http.app import make_app
    from gateway.http.logs import configure_logging
    from gateway.http.tls import server_ssl_context

    configure_logging()

    from adapters.portal import PortalConfigError

    try:
        settings = settings_from(args)
        ensure_dev_pki(settings)
        delivery = delivery_components(settings)
        app = make_app(settings, components=delivery)
        ssl_context = server_ssl_context(settings.tls)
    except (ConfigError, PortalConfigError) as exc:
        print(f"gateway serve: {exc}", file=sys.stderr)
        return 2
    except (SigningError, OSError) as exc:
        print(f"gateway serve: {exc}", file=sys.stderr)
        return 1
    scheme = "https" if ssl_context is not None else "http"
    print(f"gateway serve: listening on {scheme}://{settings.host}:{settings.port} "
          f"(data in {settings.data_dir}; delivery to the portal "
          f"{'on' if delivery else 'off: no [delivery] accounts_file'})", file=sys.stderr)
    web.run_app(app, host=settings.host, port=settings.port, ssl_context=ssl_context,
                access_log=None, print=None, handle_signals=True)
    return 0


def run_issue(args: argparse.Namespace) -> int:
    """Issue a token and print it once."""
    try:
        settings = settings_from(args)
    except ConfigError as exc:
        print(f"gateway tokens: {exc}", file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    expires = None if args.no_expiry else now + timedelta(days=args.expires_days)
    if args.facility is not None:
        code = args.facility.strip().upper()
        if len(code) != 5 or not code.isalnum():
            print("gateway tokens: --facility takes a 5-character facility code", file=sys.stderr)
            return 2
        subject, role = f"facility:{code}", "facility"
    else:
        subject, role = f"operator:{args.operator}", args.role
    try:
        token, record = TokenFile(settings.tokens_path).issue(subject, role, expires_at=expires, now=now,
                                                              note=args.note)
    except (TokenFileError, ValueError) as exc:
        print(f"gateway tokens: {exc}", file=sys.stderr)
        return 1
    print(token)
    print(f"token {record.id} for {subject} ({role}), expires {record.expires_at or 'never'}; "
          "it is shown only now: keep it in the HIS's secret store", file=sys.stderr)
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    """Revoke a token by id; exit 1 when there is no such token."""
    try:
        settings = settings_from(args)
        record = TokenFile(settings.tokens_path).revoke(args.token_id, now=datetime.now(UTC))
    except (ConfigError, TokenFileError) as exc:
        print(f"gateway tokens: {exc}", file=sys.stderr)
        return 2
    if record is None:
        print(f"gateway tokens: no token {args.token_id}", file=sys.stderr)
        return 1
    print(f"revoked {record.id} ({record.subject}) at {record.revoked_at}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """List tokens: id, subject, role, created, expires, revoked (never a secret or hash)."""
    try:
        settings = settings_from(args)
        records = TokenFile(settings.tokens_path).read()
    except (ConfigError, TokenFileError) as exc:
        print(f"gateway tokens: {exc}", file=sys.stderr)
        return 2
    for record in records.values():
        shown = {"id": record.id, "subject": record.subject, "role": record.role,
                 "created_at": record.created_at, "expires_at": record.expires_at,
                 "revoked_at": record.revoked_at, "note": record.note}
        if args.json:
            print(json.dumps(shown, ensure_ascii=False))
        else:
            state = "revoked" if record.revoked_at else "active"
            print(f"{record.id}  {record.subject:22} {record.role:9} {state:8} expires {record.expires_at or 'never'}")
    return 0

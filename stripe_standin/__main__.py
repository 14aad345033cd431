"""``python -m stripe_standin``: run the stand-in until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import signal

from .server import StandinServer
from .store import DEFAULT_PLATFORM_ACCOUNT_ID


def main(argv: list[str] | None = None) -> None:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m stripe_standin",
                                     description="Local stand-in for part of the Stripe API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--public-base", help="base URL for checkout/portal links (default: http://host:port)")
    parser.add_argument("--connect-webhook-url", default=env("STANDIN_CONNECT_WEBHOOK_URL"))
    parser.add_argument("--connect-webhook-secret", default=env("STANDIN_CONNECT_WEBHOOK_SECRET"))
    parser.add_argument("--platform-webhook-url", default=env("STANDIN_PLATFORM_WEBHOOK_URL"))
    parser.add_argument("--platform-webhook-secret", default=env("STANDIN_PLATFORM_WEBHOOK_SECRET"))
    parser.add_argument("--platform-account-id", default=DEFAULT_PLATFORM_ACCOUNT_ID)
    parser.add_argument("--state-file", default=env("STANDIN_STATE_FILE"),
                        help="keep the data in this JSON file, so a restart keeps objects and connected accounts")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args(argv)
    # `kill` (as ./dev run does on exit) stops it the way Ctrl-C does: the state file is written once more.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    StandinServer(
        args.host, args.port, public_base=args.public_base,
        connect_webhook_url=args.connect_webhook_url, connect_webhook_secret=args.connect_webhook_secret,
        platform_webhook_url=args.platform_webhook_url, platform_webhook_secret=args.platform_webhook_secret,
        platform_account_id=args.platform_account_id, quiet=args.quiet, state_file=args.state_file,
    ).serve_forever()


if __name__ == "__main__":
    main()

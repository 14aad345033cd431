"""A local stand-in for the subset of the Stripe REST API that dream-api uses.

Start it in-process (tests)::

    from stripe_standin import StandinServer
    server = StandinServer(port=0, quiet=True).start()
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": server.url, "connect": server.url})
    ...
    server.stop()

or from the command line: ``python -m stripe_standin --port 12111``. See README.md.
"""

from .server import StandinServer
from .store import API_VERSION, DEFAULT_PLATFORM_ACCOUNT_ID
from .webhooks import sign as sign_webhook_payload

__all__ = ["StandinServer", "API_VERSION", "DEFAULT_PLATFORM_ACCOUNT_ID", "sign_webhook_payload"]
__version__ = "1.0.0"

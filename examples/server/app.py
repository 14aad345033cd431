"""A small Flask app in server mode: the secret key stays here, end users sign in on dream-api's
hosted pages, and every "generate" call is counted against their plan.

    .venv/bin/python examples/server/app.py          # against ./dev run, on http://localhost:5000

Environment: DREAM_API_SECRET_KEY and DREAM_API_PUBLISHABLE_KEY (printed by ./dev run),
DREAM_API_URL (default http://localhost:8000), DREAM_API_PROJECT_ID (prj_…, for /me), PUBLIC_URL (default http://localhost:5000: allow
its origin in the project's Sign-up pages so the hosted pages may send end users back here).
"""

from __future__ import annotations

import os
import secrets
import sys
from html import escape
from pathlib import Path
from typing import Any

try:  # the SDK from PyPI (pip install dreamapi), else the copy in this repository
    from dreamapi import DreamAPI, DreamAPIError
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sdk" / "python" / "src"))
    from dreamapi import DreamAPI, DreamAPIError

from flask import Flask, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from dreamapi.integrations.flask import track_usage
from dreamapi.tokens import InvalidToken, TokenVerifier


def create_app(*, secret_key: str, publishable_key: str, base_url: str, public_url: str,
               project_id: str = "", paid_tier: str = "pro") -> Flask:
    app = Flask(__name__)
    app.secret_key = os.environ.get("FLASK_SECRET_KEY") or secrets.token_hex(32)
    api = DreamAPI(secret_key, base_url=base_url, publishable_key=publishable_key)
    callback = f"{public_url}/auth/callback"
    # The project id is configuration, never read from the token being checked.
    verifier = TokenVerifier(base_url=base_url, project_id=project_id) if project_id else None

    def page(body: str) -> str:
        return ("<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
                "<title>Summaries</title><style>body{font-family:system-ui;max-width:36rem;margin:2rem auto;"
                "padding:0 1rem}button,a.b{font:inherit;padding:.5rem 1rem}</style>" + body)

    @app.get("/")
    def home() -> ResponseReturnValue:
        if "customer_id" not in session:
            return page(f"<h1>Summaries</h1><p>Summaries of anything: free up to your plan's monthly limit.</p>"
                        f"<p><a class=b href='{escape(api.auth.get_sign_up_url(callback))}'>Sign up</a> "
                        f"<a class=b href='{escape(api.auth.get_sign_in_url(callback))}'>Sign in</a></p>")
        usage = api.usage.check(user_id=session["customer_id"])
        limit = "unlimited" if usage.limit is None else usage.limit
        return page(f"<h1>Hello {escape(session['email'])}</h1><p>Plan: <b>{escape(usage.plan)}</b>, "
                    f"{usage.usage_count} of {limit} summaries this month.</p>"
                    "<form method=post action=/generate><button>Summarise</button></form>"
                    "<form method=post action=/upgrade><button>Upgrade</button></form>"
                    "<form method=post action=/billing><button>Billing</button></form>"
                    "<form method=post action=/sign-out><button>Sign out</button></form>")

    @app.get("/auth/callback")
    def auth_callback() -> ResponseReturnValue:
        try:
            signed_in = api.auth.exchange_code(code=request.args.get("code", ""), redirect_uri=callback)
        except DreamAPIError:  # expired or already used: sign in again
            return redirect(api.auth.get_sign_in_url(callback))
        session.update(customer_id=signed_in.customer.id, email=signed_in.customer.email, token=signed_in.token)
        return redirect(url_for("home"))

    @app.post("/generate")
    @track_usage(api, user_id=lambda: session["customer_id"])
    def generate() -> ResponseReturnValue:
        usage = g.dreamapi_usage
        return {"summary": "…", "used": usage.usage_count, "remaining": usage.remaining}

    @app.post("/upgrade")
    def upgrade() -> ResponseReturnValue:
        checkout = api.billing.create_checkout(tier=paid_tier, user_id=session["customer_id"],
                                               success_url=f"{public_url}/", cancel_url=f"{public_url}/")
        return redirect(checkout.url, code=303)

    @app.post("/billing")
    def billing() -> ResponseReturnValue:
        return redirect(api.billing.open_portal(user_id=session["customer_id"], return_url=f"{public_url}/").url,
                        code=303)

    @app.get("/me")
    def me() -> ResponseReturnValue:
        """The end user's token verified offline with the project's JWKS (no call to dream-api)."""
        if verifier is None:
            return {"error": "set DREAM_API_PROJECT_ID (prj_…) to verify tokens"}, 501
        try:
            claims = verifier.verify(session.get("token", ""))
        except InvalidToken:
            return {"error": "not signed in"}, 401
        return {"id": claims.sub, "plan": claims.plan, "mode": claims.mode}

    @app.post("/sign-out")
    def sign_out() -> ResponseReturnValue:
        if "customer_id" in session:
            api.auth.revoke(customer_id=session["customer_id"])
        session.clear()
        return redirect(url_for("home"))

    @app.errorhandler(DreamAPIError)
    def api_error(error: DreamAPIError) -> Any:
        return {"error": error.error, "message": error.message, "code": error.code}, 502 if error.status >= 500 else 400

    return app


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "5000"))
    application = create_app(
        secret_key=os.environ["DREAM_API_SECRET_KEY"],
        publishable_key=os.environ["DREAM_API_PUBLISHABLE_KEY"],
        base_url=os.environ.get("DREAM_API_URL", "http://localhost:8000"),
        public_url=os.environ.get("PUBLIC_URL", f"http://localhost:{port}"),
        project_id=os.environ.get("DREAM_API_PROJECT_ID", ""),
    )
    application.run(port=port)

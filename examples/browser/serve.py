"""Serves the browser-only example: this folder, the built TypeScript SDK at ./sdk/, and a
./config.js with your publishable key (never a secret key).

    python examples/browser/serve.py --publishable-key pk_test_…     # against ./dev run

then open http://localhost:5173. The origin http://localhost:5173 must be allowed in your
project (dashboard → Settings: allowed origins, and Sign-up pages: allowed redirect origins).
The SDK must be built once: `npm ci --prefix sdk/typescript && npm run build --prefix sdk/typescript`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
SDK_DIST = HERE.parent.parent / "sdk" / "typescript" / "dist"


class ExampleHandler(SimpleHTTPRequestHandler):
    config: dict[str, str] = {}

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if clean.startswith("/sdk/"):
            return str(SDK_DIST / clean.removeprefix("/sdk/"))
        return super().translate_path(path)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path.split("?", 1)[0] == "/config.js":
            body = f"export default {json.dumps(self.config)};\n".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        if not getattr(self.server, "quiet", False):
            super().log_message(format, *args)


def make_server(*, publishable_key: str, base_url: str, paid_tier: str = "pro", host: str = "127.0.0.1",
                port: int = 5173, quiet: bool = False) -> ThreadingHTTPServer:
    if not publishable_key.startswith("pk_"):
        raise SystemExit("a publishable key (pk_test_… or pk_live_…) is required; never put a secret key in a page")
    handler = type("Handler", (ExampleHandler,), {"config": {"publishableKey": publishable_key, "baseUrl": base_url,
                                                             "paidTier": paid_tier}})
    server = ThreadingHTTPServer((host, port), partial(handler, directory=str(HERE)))
    server.quiet = quiet  # type: ignore[attr-defined]
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--publishable-key", default=os.environ.get("DREAM_API_PUBLISHABLE_KEY", ""))
    parser.add_argument("--base-url", default=os.environ.get("DREAM_API_URL", "http://localhost:8000"))
    parser.add_argument("--port", type=int, default=5173)
    args = parser.parse_args()
    if not (SDK_DIST / "index.js").is_file():
        sys.exit("build the SDK first: npm ci --prefix sdk/typescript && npm run build --prefix sdk/typescript")
    server = make_server(publishable_key=args.publishable_key, base_url=args.base_url, host="localhost", port=args.port)
    print(f"Notes Pro (browser-only example) on http://localhost:{args.port} against {args.base_url}")
    print(f"Allow the origin http://localhost:{args.port} in your project's settings and sign-up pages first.")
    server.serve_forever()


if __name__ == "__main__":
    main()

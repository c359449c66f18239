"""The container's health check: GET ``/healthz`` (or the path given) on this container.

Python's standard library only, so the image needs no curl. The port is the one the role's
stack file listens on (``AGBOTKIT_HTTP_PORT``, default 8080). Proxy variables are ignored:
the request goes to loopback, never through a proxy. Exit status 0 when the answer is 200,
1 otherwise (with one line on stderr saying why), as ``HEALTHCHECK`` expects.

Usage: ``python healthcheck.py [/readyz]``.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 4.0


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "/healthz"
    port = os.environ.get("AGBOTKIT_HTTP_PORT", "8080")
    url = f"http://127.0.0.1:{port}{path}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=TIMEOUT_S) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError) as exc:
        print(f"healthcheck: {url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"healthcheck: {url}: HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

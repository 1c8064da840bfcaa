"""Running the app with uvicorn: no access log, nothing personal in the log lines left."""

from __future__ import annotations

import socket
from typing import Any

import uvicorn

from formgen.web.security import log_config


def server(app: Any, host: str = "127.0.0.1", port: int = 8000, *, access_log: bool = False,
           trusted_proxies: str | None = None) -> uvicorn.Server:
    """A uvicorn server for ``app``.

    The access log is off by default: a link's token is in its URL. When it is turned
    on, query strings, link tokens and verification codes are cut out of every line.

    ``trusted_proxies`` (addresses or networks, comma-separated: the load balancer's) are
    believed when they say, in ``X-Forwarded-For`` and ``X-Forwarded-Proto``, which client
    they pass a request on for and whether it came by HTTPS: look-ups are then counted
    per client, not per proxy. Nobody else is believed; by default nobody at all.
    """
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=access_log,
        log_config=log_config(access_log),
        server_header=False,
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=trusted_proxies or "",
        timeout_graceful_shutdown=10,
    )
    return uvicorn.Server(config)


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket (port 0: any free port), for ``server(...).run(sockets=[...])``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock

"""Running the app under uvicorn: its configuration, the listening socket, the workers.

``authgate serve`` binds the socket itself, so that it can say "serving on …" only once the
socket listens, and give a clear error when it cannot (uvicorn binds inside its event loop
and exits with the same status as a failed start-up). The socket is then handed to one
uvicorn server, or to uvicorn's supervisor of ``workers`` processes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator

from uvicorn.server import Server
from uvicorn.supervisors.multiprocess import Multiprocess

from authgate.settings import Settings
from authgate.web.access_log import logging_config
from authgate.web.http_limits import LimitedConfig, LimitedHttpProtocol, RequestLimits

APP = "authgate.web.app:app_factory"
BACKLOG = 2048


class CannotListen(Exception):
    """The address cannot be listened on; the message says which and why."""


def server_config(
    settings: Settings, *, host: str, port: int, workers: int, access_log: bool
) -> LimitedConfig:
    """uvicorn's configuration: the app from the environment, behind authgate's limits.

    ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are read only from the peers in
    ``forwarded_allow_ips``; with none (the default), uvicorn's proxy-header middleware is
    left out and every request's client is the TCP peer. authgate serves no WebSocket, so
    uvicorn's WebSocket protocol is off: an ``Upgrade: websocket`` request is plain HTTP.
    """
    proxies = settings.forwarded_allow_ips
    return LimitedConfig(
        APP,
        limits=RequestLimits(
            max_head_bytes=settings.max_request_head_bytes,
            read_timeout=settings.request_read_timeout,
        ),
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=LimitedHttpProtocol,
        ws="none",
        access_log=access_log,
        log_config=logging_config(settings.log_format),
        log_level="info",
        server_header=False,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=list(proxies),
        timeout_keep_alive=settings.keep_alive_timeout,
        backlog=BACKLOG,
    )


def display_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` and listening, or :class:`CannotListen`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        reason = (exc.strerror or type(exc).__name__).lower()
        raise CannotListen(f"cannot listen on {display_address(host, port)}: {reason}") from None
    sock.set_inheritable(True)
    return sock


def run(config: LimitedConfig, sock: socket.socket, *more: socket.socket) -> bool:
    """Serve on ``sock`` (and the metrics socket, if any) until stopped; False if the app
    did not start (e.g. a database that cannot be opened)."""
    sockets = [sock, *more]
    try:
        if config.workers > 1:
            Multiprocess(config, sockets=sockets).run()
            return True
        server = Server(config)
        server.run(sockets=sockets)
        return server.started
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl+C it handled
        return True
    finally:
        for each in sockets:
            each.close()


@contextlib.contextmanager
def metrics_directory(workers: int, settings: Settings) -> Iterator[None]:
    """With several workers and metrics, a fresh directory for prometheus-client's
    multiprocess mode (set in the environment the workers inherit), removed afterwards."""
    from authgate.web.metrics import MULTIPROC_ENV

    if workers <= 1 or settings.metrics_port is None:
        yield
        return
    folder = tempfile.mkdtemp(prefix="authgate-metrics-")
    os.environ[MULTIPROC_ENV] = folder
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(folder, ignore_errors=True)

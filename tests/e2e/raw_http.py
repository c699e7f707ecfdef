"""A real ``authgate serve`` whose output can be read while it runs, and raw-socket clients."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from tests.e2e.test_server_process import AUTHGATE, clean_env, free_port


class LoggedServer:
    """``authgate serve`` with its access log on, writing stdout and stderr to one file."""

    def __init__(self, cwd: Path, *args: str, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = cwd / f"server-{self.port}.log"
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                [AUTHGATE, "serve", "--port", str(self.port), *args],
                cwd=cwd,
                env=clean_env(**env),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.output()}")
            try:
                if httpx.get(self.url + "/api/ping", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("server did not start")

    def output(self, since: int = 0) -> str:
        return self.log.read_text()[since:]

    def mark(self) -> int:
        """An offset into the output, to read only what comes after it."""
        return len(self.log.read_text())

    def settled_output(self, since: int) -> str:
        """The output after ``since``, once the server has stopped writing for a moment."""
        last = -1
        for _ in range(50):
            text = self.output(since)
            if len(text) == last:
                return text
            last = len(text)
            time.sleep(0.1)
        return text

    def stop(self) -> str:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        return self.output()


def connect(port: int, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def read_until_closed(sock: socket.socket, limit: float) -> tuple[bytes, float | None]:
    """What the server sends within ``limit`` seconds, and when it closed (None: still open)."""
    start = time.monotonic()
    data = b""
    while True:
        left = limit - (time.monotonic() - start)
        if left <= 0:
            return data, None
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return data, None
        except ConnectionResetError:
            return data, time.monotonic() - start
        if not chunk:
            return data, time.monotonic() - start
        data += chunk


def read_response(sock: socket.socket, limit: float = 5.0) -> bytes:
    """One response with a ``content-length``, leaving the connection open."""
    sock.settimeout(limit)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = content_length_of(head)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def content_length_of(head: bytes) -> int:
    """The ``content-length`` of a response head (0 without one)."""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def get(port: int, path: str, *headers: str) -> bytes:
    """A GET for the server on ``port`` (its Host header names the issuer's host)."""
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", *headers, "", ""]
    return "\r\n".join(lines).encode("latin-1")


def post(port: int, path: str, framing: str, body: bytes) -> bytes:
    """A form POST whose body is framed by ``framing`` (a Content-Length or
    Transfer-Encoding header), followed by ``body`` as given: possibly short or broken."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\n{framing}\r\n\r\n"
    )
    return head.encode("latin-1") + body

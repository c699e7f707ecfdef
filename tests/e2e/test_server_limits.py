"""Raw-socket clients against a real ``authgate serve``: slow, huge, broken and idle requests.

RFC 9110 §15.5.9 (408 Request Timeout), RFC 6585 §5 (431 Request Header Fields Too Large),
RFC 9112 §7.1 (chunked transfer coding), RFC 9112 §9.3 (persistent connections).
The timeouts are shortened through their environment variables so that each test takes
a second or two.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import authgate.web
from tests.e2e.raw_http import (
    LoggedServer,
    connect,
    content_length_of,
    get,
    post,
    read_response,
    read_until_closed,
)

pytestmark = pytest.mark.e2e

READ_TIMEOUT = 1
KEEP_ALIVE = 1


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoggedServer]:
    workdir: Path = tmp_path_factory.mktemp("limits")
    running = LoggedServer(
        workdir,
        "--demo",
        AUTHGATE_REQUEST_READ_TIMEOUT=str(READ_TIMEOUT),
        AUTHGATE_KEEP_ALIVE_TIMEOUT=str(KEEP_ALIVE),
    )
    yield running
    running.stop()


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1 ") else 0


def assert_quiet(output: str, requests: int) -> None:
    """No traceback, and at most one short log line per request."""
    assert "Traceback" not in output, output
    assert "Exception" not in output, output
    lines = output.splitlines()
    assert len(lines) <= requests, output
    assert all(len(line) < 200 for line in lines), output


def assert_still_serves(server: LoggedServer) -> None:
    with connect(server.port) as sock:
        sock.sendall(get(server.port, "/api/ping"))
        assert status_of(read_response(sock)) == 200


# ---------------------------------------------------------------------------- item 5


@pytest.mark.parametrize("path", ["/oauth/token", "/login", "/oauth/authorize"])
def test_client_that_leaves_mid_body_is_not_an_error(server: LoggedServer, path: str) -> None:
    since = server.mark()
    with connect(server.port) as sock:
        sock.sendall(post(server.port, path, "Content-Length: 100", b"grant_type"))
        time.sleep(0.2)
    time.sleep(0.3)
    assert_still_serves(server)
    assert_quiet(server.settled_output(since), requests=2)


@pytest.mark.parametrize("path", ["/oauth/token", "/login"])
def test_malformed_chunk_is_a_quiet_400(server: LoggedServer, path: str) -> None:
    """RFC 9112 §7.1: a chunk size is hex digits; anything else is a bad request."""
    since = server.mark()
    with connect(server.port) as sock:
        sock.sendall(
            post(server.port, path, "Transfer-Encoding: chunked", b"5\r\ngrant\r\nzz\r\n_type\r\n")
        )
        data, closed = read_until_closed(sock, 5)
    assert status_of(data) == 400
    assert closed is not None
    assert_still_serves(server)
    assert_quiet(server.settled_output(since), requests=2)


# ---------------------------------------------------------------------------- item 8


def test_oversized_request_head_is_refused_with_431(server: LoggedServer) -> None:
    since = server.mark()
    with connect(server.port) as sock:
        sock.sendall(get(server.port, "/api/ping", "X-Big: " + "a" * 64 * 1024))
        data, closed = read_until_closed(sock, 5)
    assert status_of(data) == 431
    assert closed is not None and closed < 2
    assert_still_serves(server)
    assert_quiet(server.settled_output(since), requests=2)


def test_unfinished_oversized_head_is_refused_before_it_ends(server: LoggedServer) -> None:
    """A header that never ends is not buffered: the server answers once it passes the limit."""
    with connect(server.port) as sock:
        sock.sendall(
            f"GET /api/ping HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n".encode() + b"X-Big: "
        )
        for _ in range(8):
            try:
                sock.sendall(b"a" * 16 * 1024)
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.05)
        data, closed = read_until_closed(sock, 5)
    assert status_of(data) == 431
    assert closed is not None and closed < 2


def test_request_head_within_the_limit_is_served(server: LoggedServer) -> None:
    with connect(server.port) as sock:
        sock.sendall(
            get(server.port, "/api/ping", "Cookie: c=" + "a" * 12 * 1024, "X-A: 1", "X-B: 2")
        )
        assert status_of(read_response(sock)) == 200


def test_websocket_upgrade_is_plain_http_and_quiet(server: LoggedServer) -> None:
    """No WebSocket is served: the upgrade request is answered as HTTP, with no handshake
    (no 101) and no log line beyond the request's own."""
    since = server.mark()
    upgrade = (
        "Connection: Upgrade",
        "Upgrade: websocket",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    )
    with connect(server.port) as sock:
        sock.sendall(get(server.port, "/api/ping", *upgrade))
        assert status_of(read_response(sock)) == 200
    assert_quiet(server.settled_output(since), requests=1)


def test_small_head_with_a_large_body_in_the_same_read_is_served(server: LoggedServer) -> None:
    """Only the head counts against the limit, however much body comes with it."""
    pads = b"".join(b"&pad%d=" % i + b"p" * 2000 for i in range(20))
    body = b"grant_type=client_credentials" + pads
    request = post(server.port, "/oauth/token", f"Content-Length: {len(body)}", body)
    with connect(server.port) as sock:
        sock.sendall(request.replace(b"Host:", b"X-Pad: " + b"h" * 8 * 1024 + b"\r\nHost:"))
        assert status_of(read_response(sock)) == 401


def test_slow_request_head_is_closed_after_the_read_timeout(server: LoggedServer) -> None:
    """A client sending a byte every 0.3 s (slowloris) does not hold the connection."""
    since = server.mark()
    request = get(server.port, "/api/ping", "X-Slow: " + "s" * 40)
    start = time.monotonic()
    closed_at = None
    with connect(server.port) as sock:
        sock.settimeout(0.3)
        for byte in request[:-2]:
            try:
                sock.sendall(bytes([byte]))
                if sock.recv(65536) == b"":
                    closed_at = time.monotonic() - start
                    break
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed_at = time.monotonic() - start
                break
            if time.monotonic() - start > READ_TIMEOUT + 3:
                break
    assert closed_at is not None, "the slow client was never disconnected"
    assert READ_TIMEOUT - 0.2 < closed_at < READ_TIMEOUT + 2
    assert_quiet(server.settled_output(since), requests=1)


def test_slow_request_head_gets_408(server: LoggedServer) -> None:
    with connect(server.port) as sock:
        sock.sendall(f"GET /api/ping HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n".encode())
        data, closed = read_until_closed(sock, READ_TIMEOUT + 3)
    assert status_of(data) == 408
    assert closed is not None and READ_TIMEOUT - 0.2 < closed < READ_TIMEOUT + 2


@pytest.mark.parametrize("path", ["/oauth/token", "/login"])
def test_stalled_body_is_closed_after_the_read_timeout(server: LoggedServer, path: str) -> None:
    since = server.mark()
    with connect(server.port) as sock:
        sock.sendall(post(server.port, path, "Content-Length: 100", b"grant_type="))
        data, closed = read_until_closed(sock, READ_TIMEOUT + 3)
    assert status_of(data) == 408
    assert closed is not None and READ_TIMEOUT - 0.2 < closed < READ_TIMEOUT + 2
    assert_still_serves(server)
    assert_quiet(server.settled_output(since), requests=2)


def test_body_that_keeps_coming_is_not_cut_off(server: LoggedServer) -> None:
    """The read timeout is per read: a body arriving in steady pieces is served."""
    body = b"grant_type=client_credentials&client_id=nobody&client_secret=x"
    with connect(server.port) as sock:
        sock.sendall(post(server.port, "/oauth/token", f"Content-Length: {len(body)}", b""))
        pieces = [body[i : i + 16] for i in range(0, len(body), 16)]
        for piece in pieces:
            time.sleep(READ_TIMEOUT * 0.6)
            sock.sendall(piece)
        assert status_of(read_response(sock)) == 401


def test_idle_new_connection_is_closed_after_keep_alive(server: LoggedServer) -> None:
    with connect(server.port) as sock:
        data, closed = read_until_closed(sock, KEEP_ALIVE + 3)
    assert data == b""
    assert closed is not None and closed < KEEP_ALIVE + 2


def test_keep_alive_serves_requests_then_closes_when_idle(server: LoggedServer) -> None:
    """RFC 9112 §9.3: one connection carries several requests, until it is idle too long."""
    with connect(server.port) as sock:
        for _ in range(3):
            sock.sendall(get(server.port, "/api/ping"))
            assert status_of(read_response(sock)) == 200
            time.sleep(KEEP_ALIVE / 2)
        data, closed = read_until_closed(sock, KEEP_ALIVE + 3)
    assert data == b""
    assert closed is not None and closed < KEEP_ALIVE + 2


def test_keep_alive_counts_from_the_last_response_not_the_connection(
    server: LoggedServer,
) -> None:
    """The keep-alive timer is armed once per connection and waits again for what is
    left (web/http_limits.py): a connection idle since its last response is closed a
    whole timeout after it, neither at the first timer's end nor much later."""
    with connect(server.port) as sock:
        time.sleep(KEEP_ALIVE * 0.7)
        sock.sendall(get(server.port, "/api/ping"))
        assert status_of(read_response(sock)) == 200
        data, closed = read_until_closed(sock, KEEP_ALIVE + 3)
    assert data == b""
    assert closed is not None and KEEP_ALIVE - 0.15 < closed < KEEP_ALIVE + 1


# ------------------------------------------------ writes once per pass (web/pass_writes.py)


def responses_in(data: bytes) -> list[tuple[int, bytes]]:
    """(status, body) of each response in ``data``, all framed by a content-length."""
    found = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        length = content_length_of(head)
        found.append((status_of(head), rest[:length]))
        data = rest[length:]
    return found


def test_pipelined_requests_are_answered_in_order(server: LoggedServer) -> None:
    """RFC 9112 §9.3.2: responses in the order of the requests, though several are written
    in one pass of the server's loop."""
    requests = [
        get(server.port, "/.well-known/jwks.json"),
        get(server.port, "/api/ping"),
        get(server.port, "/.well-known/openid-configuration", "Connection: close"),
    ]
    with connect(server.port) as sock:
        sock.sendall(b"".join(requests))
        data, closed = read_until_closed(sock, 5)
    assert closed is not None
    answers = responses_in(data)
    assert [status for status, _ in answers] == [200, 200, 200]
    assert answers[0][1].startswith(b'{"keys"') and answers[1][1] == b'{"ok":true}'
    assert answers[2][1].startswith(b'{"issuer"')


@pytest.mark.parametrize(
    ("bad", "status"),
    [
        (b"NOT AN HTTP REQUEST\r\n\r\n", 400),
        (b"GET /api/ping HTTP/1.1\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n", 431),
    ],
    ids=["malformed", "head-too-large"],
)
def test_a_refused_request_behind_pipelined_ones_waits_for_their_responses(
    server: LoggedServer, bad: bytes, status: int
) -> None:
    """RFC 9112 §9.3.2: the requests before the bad one are answered, in order, then the
    refusal, then the close; none of their responses is lost to it."""
    since = server.mark()
    body = b"grant_type=client_credentials"
    requests = [
        post(server.port, "/oauth/token", f"Content-Length: {len(body)}", body),
        get(server.port, "/api/ping"),
        bad,
    ]
    with connect(server.port) as sock:
        sock.sendall(b"".join(requests))
        data, closed = read_until_closed(sock, 5)
    assert closed is not None
    assert [answer for answer, _ in responses_in(data)] == [401, 200, status]
    assert_still_serves(server)
    assert_quiet(server.settled_output(since), requests=4)


def test_expect_100_continue_is_answered_before_the_body_is_sent(server: LoggedServer) -> None:
    """RFC 9110 §10.1.1: the interim 100 is not held back waiting for the final response."""
    body = b"grant_type=client_credentials"
    head = post(server.port, "/oauth/token", f"Content-Length: {len(body)}", b"")
    head = head.replace(b"\r\n\r\n", b"\r\nExpect: 100-continue\r\n\r\n")
    with connect(server.port) as sock:
        sock.sendall(head)
        sock.settimeout(2)
        assert sock.recv(65536).startswith(b"HTTP/1.1 100 Continue\r\n")
        sock.sendall(body)
        assert status_of(read_response(sock)) == 401  # no client credentials


def test_head_and_large_bodies_are_complete(server: LoggedServer) -> None:
    """A HEAD response (no body write at all) and a static file larger than what is held
    in one pass both arrive whole."""
    with connect(server.port) as sock:
        sock.sendall(get(server.port, "/api/ping").replace(b"GET ", b"HEAD ", 1))
        sock.settimeout(5)
        head = sock.recv(65536)
        assert head.startswith(b"HTTP/1.1 200 ") and head.endswith(b"\r\n\r\n")
        sock.sendall(get(server.port, "/static/authgate.css"))
        response = read_response(sock)
    css = (Path(authgate.web.__file__).parent / "static" / "authgate.css").read_bytes()
    assert status_of(response) == 200 and response.endswith(css)

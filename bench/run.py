"""``make bench``: authgate's hot paths under load, as a fraction of a bare ASGI endpoint.

One run:

1. creates a fresh SQLite database in a temporary directory, then a user and a
   client_credentials client with the ``authgate`` CLI, as an operator would;
2. serves the bare ASGI app of ``bench/bare.py`` (uvicorn, uvloop, httptools) and loads
   ``GET /``: the ceiling of the stack;
3. serves authgate (``authgate serve``, one worker, same stack, request rate limits off)
   and loads ``POST /oauth/token`` (client_credentials, HTTP Basic), ``GET /api/me``
   (bearer token), the same two with a client whose access tokens are RFC 9068 JWTs,
   introspection, revocation and, for information, ``GET /api/ping`` (no authgate
   logic); and a second authgate with the request rate limiter counting in Redis
   (``--redis-url``), loaded with ``GET /api/me``;
4. prints requests/s, p50 and p99 latency and each scenario's ratio to the ceiling, with
   PASS or BELOW against its target.

Both servers are pinned to one CPU and wrk (one thread) to another; both servers are up
for the whole run but only one takes load at a time. With ``--rounds N`` the scenarios
run N times, interleaved, and the table shows each one's median round: steadier on a
shared machine. Every response is checked by ``bench/scenario.lua`` (status 200 and a
piece of the expected body); any other response fails the run (exit status 1). Only
127.0.0.1 is loaded.

    make bench BENCH_ARGS="--duration 5 --rounds 3 --json bench-results.json"

Standard library only: it runs with the project's virtualenv python, and finds the
``authgate`` command and uvicorn next to it.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "scenario.lua"
# Not resolved: a virtualenv's python is a symlink to the base interpreter.
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"  # the only address this script ever sends load to

EMAIL = "bench@example.com"
PASSWORD = "benchpass123"
FORM = "application/x-www-form-urlencoded"
TOKEN_BODY = "grant_type=client_credentials"

START_TIMEOUT = 30.0  # seconds for a server to answer its first request
STOP_TIMEOUT = 5.0  # seconds between SIGTERM and SIGKILL


class BenchError(Exception):
    """The benchmark could not run or its responses were wrong; the message says why."""


# ------------------------------------------------------------------------------ scenarios


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    server: str  # "bare", "authgate" or "authgate-redis"
    method: str
    path: str
    expect: str  # every response body must contain this
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    target: float | None = None  # minimum requests/s as a fraction of the bare endpoint


@dataclass
class Result:
    scenario: Scenario
    requests: int
    seconds: float
    latency_ms: dict[str, float]
    statuses: dict[str, int]
    non_2xx_3xx: int  # as wrk prints it: "Non-2xx or 3xx responses: N"
    unexpected_bodies: int
    socket_errors: dict[str, int]
    #: CPU time the server used during the load, per second of load (1.0 = one full core)
    server_cpu: float | None = None
    ratio: float | None = None
    problems: list[str] = field(default_factory=list)
    #: requests/s of every round, when there were several (this result is the median one)
    rounds_rps: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def non_200(self) -> int:
        return sum(n for code, n in self.statuses.items() if code != "200")

    @property
    def verdict(self) -> str:
        target = self.scenario.target
        if target is None or self.ratio is None:
            return ""
        return "PASS" if self.ratio >= target else "BELOW"

    def as_json(self) -> dict[str, Any]:
        s = self.scenario
        return {
            "scenario": s.key,
            "label": s.label,
            "method": s.method,
            "path": s.path,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "requests_per_second": round(self.rps, 1),
            "latency_ms": self.latency_ms,
            "statuses": self.statuses,
            "non_2xx_3xx": self.non_2xx_3xx,
            "unexpected_bodies": self.unexpected_bodies,
            "socket_errors": self.socket_errors,
            "server_cpu": None if self.server_cpu is None else round(self.server_cpu, 3),
            "rounds_requests_per_second": [round(x, 1) for x in self.rounds_rps],
            "ratio_to_bare": None if self.ratio is None else round(self.ratio, 4),
            "target": s.target,
            "verdict": self.verdict or None,
            "problems": self.problems,
        }


def basic_auth(client: dict[str, Any]) -> str:
    pair = f"{client['client_id']}:{client['client_secret']}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


def scenarios(client: dict[str, Any], jwt_client: dict[str, Any], jwt: str) -> list[Scenario]:
    """Every scenario; ``jwt`` is an access token of ``jwt_client`` (RFC 9068)."""
    basic = basic_auth(client)
    access_token = client["test_access_token"]
    return [
        Scenario("bare", "bare ASGI", "bare", "GET", "/", expect='"ok":true'),
        Scenario(
            "bare-post",
            "bare ASGI, form POST",
            "bare",
            "POST",
            "/",
            expect='"ok":true',
            headers=(("Authorization", basic), ("Content-Type", FORM)),
            body=f"token={access_token}",
        ),
        Scenario(
            "bare-doc",
            "bare ASGI, document",
            "bare",
            "GET",
            "/document",
            expect='"document"',
        ),
        Scenario(
            "token",
            "token issue",
            "authgate",
            "POST",
            "/oauth/token",
            expect='"access_token"',
            headers=(("Authorization", basic), ("Content-Type", FORM)),
            body=TOKEN_BODY,
            target=0.12,
        ),
        Scenario(
            "me",
            "bearer check",
            "authgate",
            "GET",
            "/api/me",
            expect='"type":"user"',
            headers=(("Authorization", f"Bearer {access_token}"),),
            target=0.30,
        ),
        Scenario(
            "jwt_token",
            "JWT access-token issue",
            "authgate",
            "POST",
            "/oauth/token",
            expect='"access_token":"eyJ',
            headers=(("Authorization", basic_auth(jwt_client)), ("Content-Type", FORM)),
            body=TOKEN_BODY,
        ),
        Scenario(
            "jwt_me",
            "JWT check",
            "authgate",
            "GET",
            "/api/me",
            expect='"type":"client"',
            headers=(("Authorization", f"Bearer {jwt}"),),
        ),
        Scenario(
            "discovery",
            "discovery",
            "authgate",
            "GET",
            "/.well-known/openid-configuration",
            expect='"issuer"',
            target=0.80,
        ),
        Scenario(
            "jwks",
            "JWKS",
            "authgate",
            "GET",
            "/.well-known/jwks.json",
            expect='"keys"',
            target=0.80,
        ),
        Scenario(
            "introspect",
            "introspection",
            "authgate",
            "POST",
            "/oauth/introspect",
            expect='"active":true',
            headers=(("Authorization", basic), ("Content-Type", FORM)),
            body=f"token={access_token}",
            target=0.40,
        ),
        Scenario(
            "revoke",
            "revocation (unknown token)",
            "authgate",
            "POST",
            "/oauth/revoke",
            expect="",
            headers=(("Authorization", basic), ("Content-Type", FORM)),
            body="token=999999.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ),
        Scenario("ping", "framework floor", "authgate", "GET", "/api/ping", expect='"ok":true'),
        Scenario(
            "me-redis",
            "bearer check, Redis rate limit",
            "authgate-redis",
            "GET",
            "/api/me",
            expect='"type":"user"',
            headers=(("Authorization", f"Bearer {access_token}"),),
            target=0.30,
        ),
    ]


#: every scenario's key, in the order they run
_NOBODY = {"client_id": "", "client_secret": "", "test_access_token": ""}
SCENARIO_KEYS = [s.key for s in scenarios(_NOBODY, _NOBODY, "")]


# ------------------------------------------------------------------------------ processes


class Processes:
    """Every child this script starts, each in its own session (process group), so that
    one ``killpg`` ends it with anything it started, and a Ctrl-C in the terminal reaches
    only this script, which then ends them all in ``finally``."""

    def __init__(self) -> None:
        self._running: list[subprocess.Popen[Any]] = []

    def start(
        self, argv: list[str], *, env: dict[str, str], cwd: Path, output: IO[Any] | int
    ) -> subprocess.Popen[Any]:
        proc = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT if output != subprocess.PIPE else subprocess.PIPE,
            start_new_session=True,
            text=True,
        )
        self._running.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[Any]) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=STOP_TIMEOUT)
        if proc in self._running:
            self._running.remove(proc)

    def stop_all(self) -> None:
        for proc in reversed(list(self._running)):
            try:
                self.stop(proc)
            except Exception as exc:  # keep stopping the others
                print(f"bench: could not stop process {proc.pid}: {exc}", file=sys.stderr)


def _terminate(signum: int, frame: Any) -> None:
    # SIGTERM / SIGHUP: unwind through every ``finally``, like Ctrl-C does.
    raise SystemExit(128 + signum)


# ------------------------------------------------------------------------------ HTTP

# No proxies: an http_proxy variable must not send these requests anywhere else.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(
    method: str,
    path: str,
    port: int,
    headers: tuple[tuple[str, str], ...] = (),
    body: str = "",
    timeout: float = 5.0,
) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"http://{HOST}:{port}{path}",
        data=body.encode() if body else None,
        method=method,
        headers=dict(headers),
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text[-lines:]) or "    (empty log)"


def wait_until_up(proc: subprocess.Popen[Any], name: str, port: int, path: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(
                f"{name} exited with status {proc.returncode} before answering; its log:\n"
                + tail(log)
            )
        try:
            status, _ = http("GET", path, port, timeout=1.0)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise BenchError(
        f"{name} did not answer GET {path} with 200 within {START_TIMEOUT:.0f} s; its log:\n"
        + tail(log)
    )


# ------------------------------------------------------------------------------ setup


def clean_env(tmp: Path) -> dict[str, str]:
    """The inherited environment without any AUTHGATE_* setting, plus the bench's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    env["AUTHGATE_DATABASE_URL"] = f"sqlite:///{tmp / 'bench.db'}"
    env["AUTHGATE_SECRET_KEY"] = "bench-secret"
    env["PYTHONUNBUFFERED"] = "1"
    return env


#: One token at wrk's rate would use up a realistic budget in a few milliseconds, so the
#: Redis-limited server gets one that wrk cannot reach; the short window keeps the moving
#: window's entries (one per request in the window) as few as the rate allows.
BENCH_API_RATE_LIMIT = "50000/second"
#: what the Redis-limited server logs if it falls back to counting in memory
FALLBACK_LOG = "rate limit counters (Redis) unreachable"


def server_envs(
    env: dict[str, str], redis_url: str | None, metrics_port: int
) -> dict[str, dict[str, str]]:
    """Each server's environment. The main authgate runs without request rate limits, so
    that its rows measure what they measured before them; the limiter's cost is the
    ``me-redis`` row, on a server of its own."""
    envs = {
        "bare": env,
        # With its metrics on (docs/operations.md): what production with a Prometheus costs,
        # and after the load they must have counted what wrk saw.
        "authgate": {
            **env,
            "AUTHGATE_RATE_LIMITS_ENABLED": "false",
            "AUTHGATE_METRICS_PORT": str(metrics_port),
        },
    }
    if redis_url:
        envs["authgate-redis"] = {
            **env,
            "AUTHGATE_REDIS_URL": redis_url,
            "AUTHGATE_REDIS_NAMESPACE": f"authgate-bench-{os.getpid()}",
            "AUTHGATE_API_RATE_LIMIT": BENCH_API_RATE_LIMIT,
        }
    return envs


def metrics_of(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The main authgate's ``/metrics``, as {(sample name, labels): value}."""
    from prometheus_client.parser import text_string_to_metric_families

    status, body = http("GET", "/metrics", port)
    if status != 200:
        raise BenchError(f"GET /metrics on the metrics port answered {status}")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def quantile(found: dict[Any, float], endpoint: str, q: float) -> float | None:
    """The histogram's estimate of the ``q`` quantile of ``endpoint``'s latency."""
    buckets = sorted(
        (float(dict(labels)["le"]), value)
        for (name, labels), value in found.items()
        if name == "authgate_http_request_duration_seconds_bucket"
        and dict(labels).get("endpoint") == endpoint
    )
    if not buckets or buckets[-1][1] == 0:
        return None
    rank = q * buckets[-1][1]
    for bound, count in buckets:
        if count >= rank:
            return bound
    return None


def metrics_report(found: dict[Any, float], token_ok: int) -> tuple[dict[str, Any], list[str]]:
    """What the metrics counted during the run, printed; and what they got wrong."""
    issued = found.get(
        ("authgate_tokens_issued_total", (("grant_type", "client_credentials"),)), 0.0
    )
    problems = []
    if issued < token_ok:
        problems.append(f"wrk saw {token_ok} tokens issued but the metrics counted {issued:.0f}")
    requests: dict[str, float] = {}
    for (name, labels), value in found.items():
        if name == "authgate_http_requests_total":
            endpoint = dict(labels)["endpoint"]
            requests[endpoint] = requests.get(endpoint, 0.0) + value
    caches: dict[str, dict[str, float]] = {}
    for (name, labels), value in found.items():
        if name == "authgate_cache_lookups_total":
            caches.setdefault(dict(labels)["cache"], {})[dict(labels)["result"]] = value
    batches = found.get(("authgate_db_commit_batch_size_count", ()), 0.0)
    writes = found.get(("authgate_db_commit_batch_size_sum", ()), 0.0)
    print("\nmetrics (GET /metrics of authgate serve after the load)")
    print(f"  tokens issued (client_credentials): {issued:.0f} (wrk saw {token_ok} as 200)")
    for endpoint, count in sorted(requests.items(), key=lambda kv: -kv[1])[:8]:
        p50, p99 = quantile(found, endpoint, 0.5), quantile(found, endpoint, 0.99)
        shown = "" if p50 is None else f"  p50 <= {p50 * 1000:g} ms, p99 <= {p99 * 1000:g} ms"
        print(f"  {endpoint:<34} {count:>10.0f} requests{shown}")
    for cache, counts in sorted(caches.items()):
        total = counts.get("hit", 0.0) + counts.get("miss", 0.0)
        if total:
            print(f"  cache {cache:<22} hit ratio {counts.get('hit', 0.0) / total:.4f}")
    if batches:
        print(f"  SQLite group commits: {batches:.0f}, {writes / batches:.1f} writes each")
    summary = {
        "tokens_issued": issued,
        "requests": requests,
        "cache_hit_ratios": {
            c: v.get("hit", 0.0) / (v.get("hit", 0.0) + v.get("miss", 0.0))
            for c, v in caches.items()
            if v.get("hit", 0.0) + v.get("miss", 0.0)
        },
        "commit_batches": batches,
        "writes_per_commit": writes / batches if batches else None,
    }
    return summary, problems


def redis_reachable(url: str, timeout: float = 2.0) -> str | None:
    """``None`` when a Redis at ``url`` answers PING, else why not (stdlib only)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "redis" or parts.hostname not in (HOST, "localhost"):
        return f"{url!r} is not a redis:// URL on {HOST}"
    try:
        with socket.create_connection((HOST, parts.port or 6379), timeout=timeout) as conn:
            if parts.password:
                user = parts.username or "default"
                conn.sendall(f"AUTH {user} {parts.password}\r\n".encode())
                conn.recv(64)
            conn.sendall(b"PING\r\n")
            answer = conn.recv(64)
    except OSError as exc:
        return f"no Redis answers at {url} ({exc.strerror or exc})"
    return None if answer.startswith(b"+PONG") else f"Redis at {url} answered {answer!r}"


def cli(authgate: Path, env: dict[str, str], *args: str) -> dict[str, Any]:
    command = [str(authgate), *args, "--json"]
    done = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise BenchError(
            f"`authgate {' '.join(args)}` failed with status {done.returncode}:\n"
            f"{done.stderr.strip() or done.stdout.strip()}"
        )
    try:
        data: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        raise BenchError(
            f"`authgate {' '.join(args)} --json` printed no JSON:\n{done.stdout}"
        ) from None
    return data


def create_fixtures(authgate: Path, env: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The client of the opaque scenarios (with its owner's test token), and one whose
    access tokens are JWTs."""
    cli(authgate, env, "db", "upgrade")  # only serve and db upgrade create a database
    cli(authgate, env, "user", "create", "--email", EMAIL, "--password", PASSWORD)
    client = cli(
        authgate,
        env,
        "client",
        "create",
        "--name",
        "bench",
        "--grant",
        "client_credentials",
        "--scope",
        "read",
        "--owner",
        EMAIL,
    )
    for key in ("client_id", "client_secret", "test_access_token"):
        if not client.get(key):
            raise BenchError(f"`authgate client create --json` gave no {key}: {client}")
    jwt_client = cli(
        authgate,
        env,
        "client",
        "create",
        "--name",
        "bench-jwt",
        "--grant",
        "client_credentials",
        "--scope",
        "read",
        "--access-token-format",
        "jwt",
    )
    if jwt_client.get("access_token_format") != "jwt" or not jwt_client.get("client_secret"):
        raise BenchError(f"`authgate client create --access-token-format jwt`: {jwt_client}")
    return client, jwt_client


def issue_jwt(port: int, jwt_client: dict[str, Any]) -> str:
    """An access token of ``jwt_client`` from the running server; it must be a JWT."""
    headers = (("Authorization", basic_auth(jwt_client)), ("Content-Type", FORM))
    status, body = http("POST", "/oauth/token", port, headers, TOKEN_BODY)
    token = json_object(body).get("access_token") if status == 200 else None
    if not isinstance(token, str) or token.count(".") != 2:
        raise BenchError(f"the JWT client's token request answered {status}: {body[:300]!r}")
    return token


def pinning() -> tuple[list[str], list[str], str]:
    """taskset prefixes for the server and for wrk, and a description."""
    taskset = shutil.which("taskset")
    cpus = sorted(os.sched_getaffinity(0))
    if taskset is None:
        return [], [], "not pinned (taskset is missing: apt-get install util-linux)"
    server_cpu = cpus[0]
    load_cpu = cpus[1] if len(cpus) > 1 else cpus[0]
    note = f"server on CPU {server_cpu}, wrk on CPU {load_cpu}"
    if load_cpu == server_cpu:
        note += " (only one CPU available: they compete, ratios are still comparable)"
    return (
        [taskset, "-c", str(server_cpu)],
        [taskset, "-c", str(load_cpu)],
        note,
    )


# ------------------------------------------------------------------------------ CPU


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of ``pid`` so far (Linux ``/proc``), or ``None``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name may contain spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy(seconds: float = 1.0) -> float | None:
    """The fraction of all CPUs busy over ``seconds``, before any load: other work on the
    machine makes every number below noisier."""

    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        return sum(values), values[3] + values[4]  # total, idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = total1 - total0
    return None if total <= 0 else 1.0 - (idle1 - idle0) / total


# ------------------------------------------------------------------------------ load


def run_wrk(
    procs: Processes,
    wrk_cmd: list[str],
    scenario: Scenario,
    server: subprocess.Popen[Any],
    port: int,
    seconds: int,
    connections: int,
) -> Result:
    argv = [*wrk_cmd, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(LUA)]
    for name, value in scenario.headers:
        argv += ["-H", f"{name}: {value}"]
    argv += [f"http://{HOST}:{port}{scenario.path}", "--", scenario.expect, scenario.method]
    if scenario.body:
        argv.append(scenario.body)
    cpu_before, wall_before = process_cpu_seconds(server.pid), time.monotonic()
    proc = procs.start(argv, env=dict(os.environ), cwd=ROOT, output=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk did not finish {scenario.key} within {seconds + 60} s") from None
    finally:
        procs.stop(proc)
    cpu_after, wall = process_cpu_seconds(server.pid), time.monotonic() - wall_before
    if proc.returncode != 0:
        raise BenchError(f"wrk failed with status {proc.returncode}:\n{err}{out}")
    found = re.search(r"^BENCH_RESULT (\{.*\})\s*$", out, re.MULTILINE)
    if found is None:
        raise BenchError(f"wrk printed no BENCH_RESULT line (is {LUA} intact?):\n{out}{err}")
    data = json.loads(found.group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    latency = {k: round(v / 1000.0, 3) for k, v in data["latency_us"].items()}
    result = Result(
        scenario=scenario,
        requests=int(data["requests"]),
        seconds=data["duration_us"] / 1e6,
        latency_ms=latency,
        statuses={str(k): int(v) for k, v in sorted(data["statuses"].items())},
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else int(data["errors"]["status"]),
        unexpected_bodies=int(data["unexpected_bodies"]),
        socket_errors={k: int(v) for k, v in data["errors"].items() if k != "status"},
        server_cpu=None
        if cpu_before is None or cpu_after is None
        else (cpu_after - cpu_before) / wall,
    )
    if result.requests == 0:
        result.problems.append("no request completed")
    if result.non_2xx_3xx:
        result.problems.append(f"wrk counted {result.non_2xx_3xx} non-2xx/3xx responses")
    if result.non_200:
        codes = ", ".join(f"{n} x {code}" for code, n in result.statuses.items() if code != "200")
        result.problems.append(f"responses other than 200: {codes}")
    if result.unexpected_bodies:
        result.problems.append(
            f"{result.unexpected_bodies} response bodies lacked {scenario.expect!r}"
        )
    connect, read, write = (result.socket_errors.get(k, 0) for k in ("connect", "read", "write"))
    if connect or read or write:
        result.problems.append(f"socket errors: connect {connect}, read {read}, write {write}")
    return result


def preflight(scenario: Scenario, port: int) -> None:
    """One request before the load: a wrong answer stops the run with the server's body."""
    status, body = http(scenario.method, scenario.path, port, scenario.headers, scenario.body)
    if status != 200 or scenario.expect.encode() not in body:
        raise BenchError(
            f"{scenario.method} {scenario.path} answered {status} "
            f"(expected 200 with {scenario.expect!r}): {body[:500]!r}"
        )


def measure(
    procs: Processes,
    wrk_cmd: list[str],
    scenario: Scenario,
    server: subprocess.Popen[Any],
    port: int,
    args: argparse.Namespace,
    prefix: str,
) -> Result:
    preflight(scenario, port)
    print(f"  {prefix}{scenario.key}: {scenario.method} {scenario.path} ...", end="", flush=True)
    if args.warmup > 0:
        warm = run_wrk(procs, wrk_cmd, scenario, server, port, args.warmup, args.connections)
        if warm.problems:
            print()
            raise BenchError(f"warm-up of {scenario.key}: " + "; ".join(warm.problems))
    result = run_wrk(procs, wrk_cmd, scenario, server, port, args.duration, args.connections)
    cpu = "" if result.server_cpu is None else f" (server CPU {result.server_cpu:.0%})"
    print(f" {result.rps:,.0f} req/s{cpu}")
    return result


def median(results: list[Result]) -> Result:
    """The round with the median requests/s (the faster middle one of an even count)."""
    ordered = sorted(results, key=lambda r: r.rps)
    chosen = ordered[len(ordered) // 2]
    if len(results) > 1:
        chosen.rounds_rps = [r.rps for r in results]
    # A wrong response in any round is a wrong response.
    chosen.problems = [p for r in results for p in r.problems]
    return chosen


def post_run_checks(port: int, client: dict[str, Any]) -> list[str]:
    """A token issued after the load must work on /api/me, as the client's own."""
    client_id = client["client_id"]
    status, body = http(
        "POST",
        "/oauth/token",
        port,
        (("Authorization", basic_auth(client)), ("Content-Type", FORM)),
        TOKEN_BODY,
    )
    if status != 200:
        return [f"post-run token request answered {status}: {body[:300]!r}"]
    issued = json_object(body)
    problems = []
    if str(issued.get("token_type", "")).lower() != "bearer" or not issued.get("access_token"):
        problems.append(f"post-run token response is not a bearer token: {issued}")
        return problems
    status, body = http(
        "GET", "/api/me", port, (("Authorization", f"Bearer {issued['access_token']}"),)
    )
    me = json_object(body) if status == 200 else {}
    if status != 200 or me.get("type") != "client" or me.get("client_id") != client_id:
        problems.append(f"post-run GET /api/me with a fresh token answered {status}: {body!r}")
    return problems


def redis_limiter_checks(port: int, log: Path, access_token: str) -> list[str]:
    """The Redis-limited server counted in Redis the whole time: its API answers carry
    ``RateLimit-Limit`` and its log shows no fallback to counting in memory."""
    problems = []
    request = urllib.request.Request(
        f"http://{HOST}:{port}/api/me", headers={"Authorization": f"Bearer {access_token}"}
    )
    try:
        with _OPENER.open(request, timeout=5) as response:
            limit = response.headers.get("RateLimit-Limit")
    except (OSError, urllib.error.HTTPError) as exc:
        return [f"me-redis: post-run GET /api/me failed: {exc}"]
    if limit != BENCH_API_RATE_LIMIT.split("/")[0]:
        problems.append(f"me-redis: GET /api/me answered RateLimit-Limit {limit!r}")
    try:
        text = log.read_text(errors="replace")
    except OSError:
        text = ""
    if FALLBACK_LOG in text:
        problems.append("me-redis: the server lost Redis and counted in memory for a while")
    return problems


def json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def stored_tokens(db: Path) -> int:
    """How many client_credentials access tokens the database holds."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            count: int = conn.execute(
                "SELECT count(*) FROM access_tokens WHERE grant_type = 'client_credentials'"
            ).fetchone()[0]
    except sqlite3.Error as exc:
        raise BenchError(f"cannot count the tokens in {db}: {exc}") from None
    return count


# ------------------------------------------------------------------------------ report


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "missing"


def machine_info(wrk: str, pin_note: str) -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    wrk_version = subprocess.run(
        [wrk, "-v"], capture_output=True, text=True, timeout=10, check=False
    ).stdout.splitlines()
    busy = machine_busy()
    return {
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": model or platform.processor() or "unknown",
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
        "cpu_busy_before": None if busy is None else round(busy, 3),
        "pinning": pin_note,
        "versions": {
            p: version(p) for p in ("authgate", "uvicorn", "uvloop", "httptools", "starlette")
        },
        "wrk": wrk_version[0].split(" Copyright")[0] if wrk_version else "unknown",
    }


def print_report(info: dict[str, Any], args: argparse.Namespace, results: list[Result]) -> None:
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    busy = info["cpu_busy_before"]
    print()
    print(
        f"machine: nproc {info['nproc']} ({info['cpu_model']}), {info['platform']}, "
        f"python {info['python']}"
    )
    print(
        f"before:  load average {info['loadavg_before']}, "
        + ("CPU use unknown" if busy is None else f"{busy:.0%} of all CPUs busy")
        + (" (other work on this machine: expect noise)" if busy and busy > 0.1 else "")
    )
    print(f"stack:   {versions}; {info['wrk']}")
    rounds = f"median of {args.rounds} rounds, " if args.rounds > 1 else ""
    print(
        f"load:    {rounds}wrk -t1 -c{args.connections} -d{args.duration}s after a "
        f"{args.warmup} s warm-up; {info['pinning']}"
    )
    print()
    header = (
        f"{'scenario':<32} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'non-200':>7} "
        f"{'srv CPU':>7} {'vs bare':>7} {'target':>8}  result"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        s = r.scenario
        name = f"{s.label} ({s.method} {s.path})"
        ratio = "-" if r.ratio is None else f"{r.ratio:.3f}"
        target = "-" if s.target is None else f">= {s.target:.2f}"
        cpu = "-" if r.server_cpu is None else f"{r.server_cpu:.0%}"
        verdict = r.verdict or ("ceiling" if s.key == "bare" else "info")
        if r.problems:
            verdict += " WRONG RESPONSES"
        print(
            f"{name:<32} {r.rps:>9,.0f} {r.latency_ms['p50']:>7.2f} {r.latency_ms['p99']:>7.2f} "
            f"{r.non_200:>7} {cpu:>7} {ratio:>7} {target:>8}  {verdict}"
        )
    if args.rounds > 1:
        print()
        for r in results:
            each = ", ".join(f"{x:,.0f}" for x in r.rounds_rps)
            print(f"  {r.scenario.key:<6} req/s per round: {each}")
    starved = [r.scenario.key for r in results if r.server_cpu is not None and r.server_cpu < 0.9]
    if starved:
        print(
            f"\nnote: the server used less than 90% of its CPU during {', '.join(starved)}: "
            "other processes competed for that CPU, or the server waited for the disk. If "
            "the machine was busy, run again when it is quiet, or with --rounds 3."
        )


# ------------------------------------------------------------------------------ main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Load authgate's token endpoint and bearer check with wrk and compare "
        "them with a bare ASGI endpoint on the same stack.",
    )
    parser.add_argument(
        "--duration", type=int, default=10, help="seconds of load per scenario (default 10)"
    )
    parser.add_argument("--connections", type=int, default=32, help="open connections (default 32)")
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of warm-up per scenario (default 2)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run every scenario this many times, interleaved, and report the median (default 1)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write results as JSON")
    parser.add_argument(
        "--redis-url",
        metavar="URL",
        default=os.environ.get("AUTHGATE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="Redis (on 127.0.0.1) for the rate-limited scenario, which is skipped when it "
        "does not answer (default: $AUTHGATE_BENCH_REDIS_URL or redis://127.0.0.1:6379/0)",
    )
    parser.add_argument(
        "--only",
        metavar="KEYS",
        type=lambda text: [k.strip() for k in text.split(",") if k.strip()],
        help="run only these scenarios, comma-separated (bare always runs): "
        + ", ".join(SCENARIO_KEYS),
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 3 when a target is missed"
    )
    parser.add_argument(
        "--keep-tmp", action="store_true", help="keep the temporary database and server logs"
    )
    args = parser.parse_args(argv)
    if args.only and (unknown := sorted(set(args.only) - set(SCENARIO_KEYS))):
        parser.error(
            f"--only: no scenario {', '.join(unknown)}; there are {', '.join(SCENARIO_KEYS)}"
        )
    if args.duration < 1 or args.warmup < 0 or args.connections < 1 or args.rounds < 1:
        parser.error("--duration, --connections and --rounds must be at least 1, --warmup 0")
    return args


def server_commands(pin: list[str], authgate: Path) -> dict[str, tuple[str, list[str], str]]:
    """For each server: its name, its command (without --host/--port), its readiness path."""
    return {
        "bare": (
            "bare ASGI app",
            [
                *pin,
                str(BIN / "python"),
                "-m",
                "uvicorn",
                "bench.bare:app",  # importable from ROOT, the working directory
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--no-access-log",
                "--no-server-header",  # as `authgate serve`
            ],
            "/",
        ),
        "authgate": (
            "authgate serve",
            [*pin, str(authgate), "serve", "--no-access-log"],  # uvloop, httptools: auto
            "/api/ping",
        ),
        "authgate-redis": (
            "authgate serve (Redis rate limit)",
            [*pin, str(authgate), "serve", "--no-access-log"],
            "/api/ping",
        ),
    }


def wanted(args: argparse.Namespace, key: str) -> bool:
    """Whether ``--only`` (if given) asks for the scenario ``key``."""
    return not args.only or key in args.only


def run(args: argparse.Namespace, wrk: str, authgate: Path, info: dict[str, Any]) -> int:
    pin_server, pin_load, _ = pinning()
    wrk_cmd = [*pin_load, wrk]
    tmp = Path(tempfile.mkdtemp(prefix="authgate-bench-"))
    env = clean_env(tmp)
    procs = Processes()
    rounds: dict[str, list[Result]] = {}
    failures: list[str] = []
    metrics_summary: dict[str, Any] = {}
    try:
        print(f"bench: fresh database in {tmp}")
        client, jwt_client = create_fixtures(authgate, env)
        why_not = redis_reachable(args.redis_url)
        if why_not:
            print(f"bench: {why_not}: the Redis rate-limit scenario is skipped")
        metrics_port = free_port()
        envs = server_envs(env, None if why_not else args.redis_url, metrics_port)

        servers: dict[str, tuple[subprocess.Popen[Any], int, Path]] = {}
        for key, (name, command, ready_path) in server_commands(pin_server, authgate).items():
            if key not in envs or (key == "authgate-redis" and not wanted(args, "me-redis")):
                continue
            port = free_port()
            log = tmp / f"{key}.log"
            print(f"bench: starting {name} on {HOST}:{port}")
            with log.open("w") as output:
                proc = procs.start(
                    [*command, "--host", HOST, "--port", str(port)],
                    env=envs[key],
                    cwd=ROOT,
                    output=output,
                )
            servers[key] = (proc, port, log)
            wait_until_up(proc, name, port, ready_path, log)
        plan = scenarios(client, jwt_client, issue_jwt(servers["authgate"][1], jwt_client))
        plan = [s for s in plan if s.server in servers]
        if args.only:
            plan = [s for s in plan if s.key == "bare" or wanted(args, s.key)]

        for n in range(args.rounds):
            prefix = f"round {n + 1}/{args.rounds} " if args.rounds > 1 else ""
            for scenario in plan:
                proc, port, log = servers[scenario.server]
                result = measure(procs, wrk_cmd, scenario, proc, port, args, prefix)
                rounds.setdefault(scenario.key, []).append(result)
                if proc.poll() is not None:
                    raise BenchError(
                        f"{scenario.server} exited with status {proc.returncode} during "
                        f"{scenario.key}; its log:\n{tail(log)}"
                    )

        _, port, _ = servers["authgate"]
        failures += post_run_checks(port, client)
        failures += post_run_checks(port, jwt_client)
        if "authgate-redis" in servers:
            _, port, log = servers["authgate-redis"]
            failures += redis_limiter_checks(port, log, client["test_access_token"])
        token_ok = sum(
            r.statuses.get("200", 0) for k in ("token", "jwt_token") for r in rounds.get(k, [])
        )
        metrics_summary, wrong = metrics_report(metrics_of(metrics_port), token_ok)
        failures += wrong
        for proc, _, _ in servers.values():
            procs.stop(proc)
        stored = stored_tokens(tmp / "bench.db")
        if stored < token_ok:
            failures.append(
                f"{token_ok} token responses were 200 but only {stored} tokens are stored"
            )
    finally:
        procs.stop_all()
        if args.keep_tmp:
            print(f"bench: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    results = [median(rounds[s.key]) for s in plan]
    bare = next(r for r in results if r.scenario.key == "bare")
    for r in results:
        r.ratio = r.rps / bare.rps if bare.rps else None
        failures += [f"{r.scenario.key}: {p}" for p in r.problems]
    print_report(info, args, results)
    signing = signature_costs()

    below = [r.scenario.key for r in results if r.verdict == "BELOW"]
    if args.json:
        report = {
            "machine": info,
            "settings": {
                "duration": args.duration,
                "warmup": args.warmup,
                "connections": args.connections,
                "rounds": args.rounds,
                "wrk_threads": 1,
            },
            "results": [r.as_json() for r in results],
            "id_token_signatures": signing,
            "metrics": metrics_summary,
            "below_target": below,
            "failures": failures,
            "ok": not failures,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nbench: wrote {args.json}")
    if failures:
        print("\nbench: FAILED, wrong responses:", file=sys.stderr)
        for failure in failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    if below:
        print(f"\nbench: below target: {', '.join(below)}")
        if args.strict:
            return 3
    return 0


def signature_costs() -> dict[str, Any] | None:
    """The cost of one id token signature per algorithm (bench/signing.py, in process)."""
    script = Path(__file__).with_name("signing.py")
    done = subprocess.run(
        [sys.executable, str(script), "--json"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        print(f"\nbench: signing costs not measured: {done.stderr.strip()[-300:]}")
        return None
    costs: dict[str, Any] = json.loads(done.stdout)
    print(
        f"\n{'id token':<10} {'sign us':>8} {'verify us':>10} {'bytes':>6}  (in process, best of 5)"
    )
    for alg, r in costs.items():
        print(f"{alg:<10} {r['sign_us']:>8.1f} {r['verify_us']:>10.1f} {r['token_bytes']:>6}")
    return costs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        print(
            "bench: wrk is not installed; install it with `apt-get install wrk` "
            "(or see https://github.com/wg/wrk) and run `make bench` again",
            file=sys.stderr,
        )
        return 2
    authgate = BIN / "authgate"
    if not authgate.exists():
        print(f"bench: {authgate} is missing: run `make bench` (it installs)", file=sys.stderr)
        return 2
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is not signal.SIG_IGN:  # e.g. nohup ignores SIGHUP
            signal.signal(signum, _terminate)
    try:
        return run(args, wrk, authgate, machine_info(wrk, pinning()[2]))
    except BenchError as exc:
        print(f"\nbench: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench: interrupted; servers stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

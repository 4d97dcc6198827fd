"""Real PostgreSQL and Redis servers for the tests and the load benchmark, each its own throwaway.

``start_postgres(workdir)`` makes a fresh cluster in ``workdir`` and ``start_redis(workdir)`` a
Redis without persistence; both listen on a free port on 127.0.0.1 only and return a ``Server``
whose ``url`` a client takes as it is and whose ``stop()`` ends it. The binaries come from
Debian's packages (``bash scripts/install-servers.sh``); ``postgres_available()`` and
``redis_available()`` tell whether they are there.

A server started here dies with the thread that started it, even when that process is killed
outright (Linux's parent-death signal), so start servers from the main thread. PostgreSQL
refuses to run as root: as root, it runs as the ``postgres`` user of Debian's package, which is
given the right to pass through ``workdir``'s folders (pytest puts its own back to private on
its next run).

The pytest fixtures ``postgres_url`` and ``redis_url`` (session scope) start one of each on
first use; conftest.py imports them.
"""

from __future__ import annotations

import ctypes
import glob
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

INSTALL = "bash scripts/install-servers.sh"
POSTGRES_MISSING = f"PostgreSQL server (initdb, postgres) is not installed: run `{INSTALL}` (as root)."
REDIS_MISSING = f"Redis server (redis-server) is not installed: run `{INSTALL}` (as root)."

PG_USER = PG_PASSWORD = PG_DATABASE = "policybot"
PG_SYSTEM_USER = "postgres"  # Debian's package creates it; the server runs as it when we are root
START_TIMEOUT = 30.0  # seconds until a server must accept connections
STOP_TIMEOUT = 10.0  # seconds for a clean shutdown before it is killed

# Settings for a throwaway cluster: nothing has to survive a crash, so skip the disk flushes.
PG_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",  # TCP only: no socket path (length limit, permissions) to care about
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
}


class ServerUnavailable(RuntimeError):
    """The server's binaries are not installed here, or cannot be run as the user they need."""


class ServerStartError(RuntimeError):
    """The server was run but did not come up; the message ends with its log's tail."""


@dataclass
class Server:
    """One running server: ``url`` to connect, ``stop()`` to end it (twice is fine)."""

    name: str
    url: str
    process: subprocess.Popen
    port: int
    log: Path
    startup_seconds: float = 0.0
    stop_signal: int = signal.SIGTERM
    _log_file: object = field(default=None, repr=False)
    _stopped: bool = field(default=False, repr=False)

    def stop(self) -> None:
        """Shut the server down and reap it; kills it (and its process group) if it lingers."""
        if self._stopped:
            return
        proc = self.process
        if proc.poll() is None:
            try:
                proc.send_signal(self.stop_signal)
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        # Started in a session of its own, so its process group is its own: this also ends any
        # worker a killed postmaster would have left behind.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        self._stopped = True  # only once: a group id, once free, may be reused by another process
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


# -- finding the binaries -------------------------------------------------------------------------


def _pg_bin_dir() -> Path | None:
    """Debian keeps the server binaries in /usr/lib/postgresql/VERSION/bin; else look on PATH."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: _version_key(Path(d).parent.name))
    for candidate in reversed(dirs):
        if all(os.access(Path(candidate, b), os.X_OK) for b in ("initdb", "postgres")):
            return Path(candidate)
    initdb, postgres = shutil.which("initdb"), shutil.which("postgres")
    if initdb and postgres and Path(initdb).parent == Path(postgres).parent:
        return Path(initdb).parent
    return None


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else -1 for p in version.split("."))


def _pg_run_as() -> pwd.struct_passwd | None:
    """The user to run PostgreSQL as: ``postgres`` when we are root, else ourselves (None)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        raise ServerUnavailable(
            f"PostgreSQL will not run as root and there is no `{PG_SYSTEM_USER}` user: run `{INSTALL}`."
        ) from None


def _as_user(user: pwd.struct_passwd | None) -> dict:
    """subprocess arguments that run the child as ``user``, without our supplementary groups."""
    if user is None:
        return {}
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def postgres_available() -> bool:
    """Whether PostgreSQL's server binaries are installed (else see ``POSTGRES_MISSING``)."""
    return _pg_bin_dir() is not None


def redis_available() -> bool:
    """Whether ``redis-server`` is installed (else see ``REDIS_MISSING``)."""
    return shutil.which("redis-server") is not None


# -- starting -------------------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1


def _die_with_parent(sig: int) -> Callable[[], None]:
    """A preexec_fn: the child gets ``sig`` when the thread that started it ends, however it ends.

    preexec_fn runs after subprocess's user switch, which would clear the setting if done before.
    """
    def preexec() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    return preexec


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log_tail(log: Path, lines: int = 25) -> str:
    try:
        text = log.read_text(errors="replace")
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


def _spawn(name: str, argv: list[str], log: Path, port: int, stop_signal: int, death_signal: int,
           user: pwd.struct_passwd | None = None, cwd: Path | None = None) -> Server:
    log_file = open(log, "ab")
    try:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT, cwd=cwd,
            start_new_session=True,  # no terminal Ctrl-C straight to it; its own process group
            preexec_fn=_die_with_parent(death_signal), **_as_user(user),
        )
    except BaseException:
        log_file.close()
        raise
    return Server(name=name, url="", process=process, port=port, log=log,
                  stop_signal=stop_signal, _log_file=log_file)


def _wait_ready(server: Server, ready: Callable[[], bool], started: float) -> None:
    """Polls ``ready`` until it holds; stops the server and raises with its log tail if it won't."""
    deadline = started + START_TIMEOUT
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            server.stop()
            raise ServerStartError(
                f"{server.name} exited with code {server.process.returncode} while starting "
                f"(port {server.port}); log {server.log}:\n{_log_tail(server.log)}")
        try:
            if ready():
                return
        except Exception as exc:  # not up yet: refused, starting up, …
            last_error = exc
        time.sleep(0.05)
    server.stop()
    raise ServerStartError(
        f"{server.name} did not accept connections within {START_TIMEOUT:.0f} s on port {server.port} "
        f"(last error: {last_error}); log {server.log}:\n{_log_tail(server.log)}")


def _with_port_retries(start: Callable[[int], Server], tries: int = 3) -> Server:
    """Another process may take the free port between picking and binding it: try a new one."""
    for attempt in range(tries):
        try:
            return start(_free_port())
        except ServerStartError as exc:
            if attempt == tries - 1 or "in use" not in str(exc):
                raise
    raise AssertionError("unreachable")


def _grant_traverse(path: Path, uid: int) -> None:
    """Lets user ``uid`` pass through ``path`` and every folder above it (search bit for others).

    pytest makes its base temp folder private (0700): PostgreSQL, run as another user, could not
    reach its data directory inside. Reading the folders' listings stays forbidden.
    """
    for folder in [path, *path.parents]:
        mode = folder.stat()
        if mode.st_uid != uid and not mode.st_mode & stat.S_IXOTH:
            os.chmod(folder, stat.S_IMODE(mode.st_mode) | stat.S_IXOTH)


def start_postgres(workdir: Path, settings: dict[str, str] | None = None) -> Server:
    """A fresh cluster in ``workdir``/pgdata with role and database ``policybot`` (password too).

    ``settings`` adds or overrides server settings (``-c name=value``), e.g. max_connections.
    """
    bin_dir = _pg_bin_dir()
    if bin_dir is None:
        raise ServerUnavailable(POSTGRES_MISSING)
    user = _pg_run_as()
    started = time.monotonic()
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / "pgdata"
    data.mkdir(mode=0o700)
    log = workdir / "postgres.log"
    if user is not None:
        _grant_traverse(workdir, user.pw_uid)
        os.chown(data, user.pw_uid, user.pw_gid)

    with open(log, "ab") as log_file:
        initdb = subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8", "--no-locale",
             "--no-sync", "--auth=trust"],
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT, timeout=120,
            preexec_fn=_die_with_parent(signal.SIGKILL), **_as_user(user),
        )
    if initdb.returncode != 0:
        raise ServerStartError(f"initdb failed with code {initdb.returncode}; log {log}:\n{_log_tail(log)}")
    # The superuser comes in without a password for the setup below; the app role needs its own.
    # Writing into the existing file keeps its owner.
    (data / "pg_hba.conf").write_text(
        "# From tests/servers.py: loopback TCP only.\n"
        "host  all  postgres  127.0.0.1/32  trust\n"
        "host  all  all       127.0.0.1/32  scram-sha-256\n")

    def start(port: int) -> Server:
        options = {**PG_SETTINGS, **(settings or {}), "port": str(port)}
        argv = [str(bin_dir / "postgres"), "-D", str(data)]
        for name, value in options.items():
            argv += ["-c", f"{name}={value}"]
        # SIGINT: "fast" shutdown (ends sessions, then exits). SIGQUIT on parent death: at once.
        server = _spawn("PostgreSQL", argv, log, port, signal.SIGINT, signal.SIGQUIT, user, cwd=data)
        _wait_ready(server, lambda: _pg_connect(port).close() is None, started)
        return server

    server = _with_port_retries(start)
    try:
        _pg_setup(server.port)
    except BaseException:
        server.stop()
        raise
    server.url = f"postgresql://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{server.port}/{PG_DATABASE}"
    server.startup_seconds = time.monotonic() - started
    return server


def _pg_connect(port: int):
    """A connection as the superuser; raises while the server does not accept connections yet."""
    import psycopg2

    return psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", connect_timeout=2)


def _pg_setup(port: int) -> None:
    """Creates the app's role (with its password) and its database."""
    conn = _pg_connect(port)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"CREATE ROLE {PG_USER} LOGIN PASSWORD %s", (PG_PASSWORD,))
            cur.execute(f"CREATE DATABASE {PG_DATABASE} OWNER {PG_USER}")
    finally:
        conn.close()


def start_redis(workdir: Path) -> Server:
    """A Redis on loopback that keeps nothing on disk (no RDB snapshots, no append-only file)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServerUnavailable(REDIS_MISSING)
    started = time.monotonic()
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "redis.log"

    def start(port: int) -> Server:
        argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--protected-mode", "yes",
                "--save", "", "--appendonly", "no", "--dir", str(workdir), "--daemonize", "no",
                "--logfile", ""]
        server = _spawn("Redis", argv, log, port, signal.SIGTERM, signal.SIGTERM)
        _wait_ready(server, lambda: _redis_ping(port), started)
        return server

    server = _with_port_retries(start)
    server.url = f"redis://127.0.0.1:{server.port}/0"
    server.startup_seconds = time.monotonic() - started
    return server


def _redis_ping(port: int) -> bool:
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1, socket_timeout=2)
    try:
        return bool(client.ping())
    finally:
        client.close()


# -- pytest fixtures ------------------------------------------------------------------------------


def _start_or_fail(start: Callable[[Path], Server], workdir: Path) -> Server:
    try:
        return start(workdir)
    except ServerUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """URL of a PostgreSQL started for this test session (user, password and db ``policybot``)."""
    server = _start_or_fail(start_postgres, tmp_path_factory.mktemp("postgres"))
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """URL of a Redis started for this test session (database 0, empty at start)."""
    server = _start_or_fail(start_redis, tmp_path_factory.mktemp("redis"))
    yield server.url
    server.stop()

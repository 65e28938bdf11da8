"""A throwaway PostgreSQL server for the test suite, started from local binaries.

The suite never skips its PostgreSQL tests: it runs ``initdb`` into a temporary
directory, starts ``postgres`` on a free TCP port of 127.0.0.1 (plus a unix
socket in the same temporary directory) with durability turned off for speed,
and removes everything again afterwards.

When running as root (as CI does) ``initdb``/``pg_ctl``/``postgres`` refuse to
run, so they are run as the unprivileged ``postgres`` system user created by
Debian's ``postgresql`` package, through ``runuser`` (or ``setpriv``/``su``).

Usage::

    with PostgresServer() as pg:
        url = pg.create_database("app_template")
        ...  # migrate it once
        clone_url = pg.create_database("test_1", template="app_template")

The cluster lives in a fresh directory under ``$WARROOM_PG_TMPDIR`` if set,
else under ``/dev/shm`` when that has at least 1 GiB free (initdb is much
faster on tmpfs), else under the ordinary temporary directory.

Binaries are looked up by :func:`find_bindir`: ``$WARROOM_PG_BINDIR`` if set,
else ``pg_config --bindir``, else the highest ``/usr/lib/postgresql/*/bin``,
else ``initdb`` on ``PATH``.

A server that is still running when the interpreter exits is stopped by an
``atexit`` hook; a watchdog child process also stops it (and removes its
directory) if the interpreter dies without running ``atexit`` (SIGKILL,
SIGTERM, ``os._exit``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shlex
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote

if TYPE_CHECKING:
    import psycopg

__all__ = ["NOT_FOUND_MESSAGE", "PostgresServer", "find_bindir"]

NOT_FOUND_MESSAGE = (
    "PostgreSQL server binaries not found; install Debian's postgresql package (make test does this)"
)

SUPERUSER = "postgres"
"""Name of the database superuser (``initdb -U``), whichever OS user runs the server."""

RUN_AS_USER = "postgres"
"""OS user that runs the server binaries when the test process is root."""

_REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
_DEBIAN_GLOB_ROOT = Path("/usr/lib/postgresql")
_START_DEADLINE = 30.0
_PORT_ATTEMPTS = 5
# The cluster goes to /dev/shm when it has this much room (Docker's default
# 64 MB /dev/shm does not qualify; then the ordinary temp dir is used).
_SHM = Path("/dev/shm")
_SHM_MIN_FREE = 1 << 30
# sizeof(sockaddr_un.sun_path) is 108 on Linux, including the NUL byte.
_MAX_SOCKET_PATH = 107


# --------------------------------------------------------------------------- #
# Locating the binaries
# --------------------------------------------------------------------------- #


def _has_server_binaries(directory: Path) -> bool:
    return all(
        (directory / name).is_file() and os.access(directory / name, os.X_OK) for name in _REQUIRED_BINARIES
    )


def _version_key(directory: Path) -> tuple[int, ...] | None:
    # /usr/lib/postgresql/<version>/bin -> <version> is "15", "9.6", ...
    try:
        return tuple(int(part) for part in directory.parent.name.split("."))
    except ValueError:
        return None


def _candidate_bindirs() -> list[Path]:
    candidates: list[Path] = []

    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            result = subprocess.run(
                [pg_config, "--bindir"],
                capture_output=True,
                text=True,
                timeout=10,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.SubprocessError):
            pass
        else:
            if result.returncode == 0 and result.stdout.strip():
                candidates.append(Path(result.stdout.strip()))

    debian: list[tuple[tuple[int, ...], Path]] = []
    if _DEBIAN_GLOB_ROOT.is_dir():
        for bindir in _DEBIAN_GLOB_ROOT.glob("*/bin"):
            key = _version_key(bindir)
            if key is not None:
                debian.append((key, bindir))
    candidates.extend(bindir for _, bindir in sorted(debian, reverse=True))

    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    return candidates


def find_bindir() -> Path:
    """Return the directory holding ``initdb``, ``pg_ctl`` and ``postgres``.

    ``$WARROOM_PG_BINDIR`` wins when set (and must then be right); otherwise
    ``pg_config --bindir``, the highest ``/usr/lib/postgresql/*/bin`` and
    ``initdb`` on ``PATH`` are tried in that order.

    Raises ``RuntimeError`` with :data:`NOT_FOUND_MESSAGE` if none is usable.
    """
    override = os.environ.get("WARROOM_PG_BINDIR", "").strip()
    if override:
        bindir = Path(override).expanduser()
        if _has_server_binaries(bindir):
            return bindir
        raise RuntimeError(
            f"{NOT_FOUND_MESSAGE} (WARROOM_PG_BINDIR={override!r} does not contain "
            f"{', '.join(_REQUIRED_BINARIES)})"
        )
    for bindir in _candidate_bindirs():
        if _has_server_binaries(bindir):
            return bindir
    raise RuntimeError(
        f"{NOT_FOUND_MESSAGE} (looked at $WARROOM_PG_BINDIR, pg_config --bindir, "
        f"{_DEBIAN_GLOB_ROOT}/*/bin and PATH)"
    )


# --------------------------------------------------------------------------- #
# Running binaries as the right user
# --------------------------------------------------------------------------- #


def _run_as_prefix(user: pwd.struct_passwd) -> list[str]:
    """Command prefix that runs the rest of the command line as ``user``."""
    runuser = shutil.which("runuser") or _existing("/usr/sbin/runuser", "/sbin/runuser")
    if runuser:
        return [runuser, "-u", user.pw_name, "--"]
    setpriv = shutil.which("setpriv") or _existing("/usr/bin/setpriv", "/bin/setpriv")
    if setpriv:
        return [setpriv, f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups", "--"]
    su = shutil.which("su") or _existing("/bin/su", "/usr/bin/su")
    if su:
        # su takes a single shell command; _wrap() appends the shlex-joined
        # command line after this prefix.
        return [su, "-s", "/bin/sh", user.pw_name, "-c"]
    raise RuntimeError(
        "running as root, but none of runuser, setpriv or su is available to drop "
        f"privileges to the {user.pw_name!r} user (initdb/postgres refuse to run as root)"
    )


def _existing(*paths: str) -> str | None:
    for path in paths:
        if os.access(path, os.X_OK):
            return path
    return None


def _traversable_by(path: Path, user: pwd.struct_passwd) -> bool:
    """True if ``user`` can reach ``path`` (search permission on it and every ancestor)."""
    groups = set(os.getgrouplist(user.pw_name, user.pw_gid))
    path = path.resolve()
    for directory in (path, *path.parents):
        try:
            st = directory.stat()
        except OSError:
            return False
        if st.st_uid == user.pw_uid:
            allowed = st.st_mode & stat.S_IXUSR
        elif st.st_gid in groups:
            allowed = st.st_mode & stat.S_IXGRP
        else:
            allowed = st.st_mode & stat.S_IXOTH
        if not allowed:
            return False
    return True


def _roomy_dir(path: Path, min_free: int = _SHM_MIN_FREE) -> bool:
    """True if ``path`` is a writable directory with at least ``min_free`` bytes available."""
    try:
        st = os.statvfs(path)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK) and st.f_bavail * st.f_frsize >= min_free


def _clean_env() -> dict[str, str]:
    # Stray PG* variables (PGDATA, PGPORT, PGOPTIONS, ...) must not leak into
    # the server or our connections; a fixed TZ spares initdb the slow
    # time-zone probing.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["TZ"] = "UTC"
    env["LC_ALL"] = "C"
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _conf_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


# --------------------------------------------------------------------------- #
# Stopping servers left running at interpreter exit
# --------------------------------------------------------------------------- #

_running: set[PostgresServer] = set()
_running_lock = threading.Lock()


def _stop_all_at_exit() -> None:
    with _running_lock:
        servers = list(_running)
    for server in servers:
        with contextlib.suppress(Exception):  # best effort at interpreter exit
            server.stop()


atexit.register(_stop_all_at_exit)

# Started in its own session so a terminal ^C does not kill it; it waits for a
# line on stdin. "done" means the owner stopped the server itself; EOF (the
# owner died without cleaning up) means stop the server and remove its files.
_WATCHDOG_SCRIPT = """
read line
if [ "$line" != done ]; then
    dir=$1
    shift
    "$@" >/dev/null 2>&1
    rm -rf -- "$dir"
fi
"""


# --------------------------------------------------------------------------- #
# The server
# --------------------------------------------------------------------------- #


class PostgresServer:
    """A disposable PostgreSQL cluster in a temporary directory.

    ``start()``/``stop()`` or use as a context manager. After ``start()``:

    * ``port`` - TCP port on 127.0.0.1
    * ``socket_dir`` - directory of the unix socket
    * ``admin_url`` - SQLAlchemy URL of the ``postgres`` maintenance database
    * ``url(dbname)`` - SQLAlchemy URL (``postgresql+psycopg://``) of ``dbname``
    * ``conninfo(dbname)`` - libpq/psycopg connection string of ``dbname``
    * ``create_database(name, template=None)`` / ``drop_database(name)``
    """

    host = "127.0.0.1"
    user = SUPERUSER

    def __init__(
        self,
        bindir: Path | str | None = None,
        *,
        settings: dict[str, str] | None = None,
        startup_timeout: float = _START_DEADLINE,
    ) -> None:
        self._bindir = Path(bindir) if bindir is not None else None
        self._extra_settings = dict(settings or {})
        self._startup_timeout = startup_timeout
        self._port: int | None = None
        self._base: Path | None = None
        self._prefix: list[str] = []
        self._owner_pid: int | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._server_version: int | None = None

    # -- lifecycle ------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._port is not None

    def start(self) -> PostgresServer:
        """initdb a fresh cluster and start it; returns ``self``.

        Raises ``RuntimeError`` (including the server log tail) on failure.
        """
        if self.running:
            raise RuntimeError("PostgresServer already started")
        bindir = self._bindir or find_bindir()
        self._bindir = bindir
        env = _clean_env()
        deadline = time.monotonic() + self._startup_timeout

        run_as = self._run_as_user()
        self._prefix = _run_as_prefix(run_as) if run_as is not None else []
        self._base = self._make_base_dir(run_as)
        self._owner_pid = os.getpid()
        with _running_lock:
            _running.add(self)
        try:
            self._start_watchdog(bindir, env)
            self._initdb(bindir, env)
            self._launch(bindir, env, deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (``pg_ctl stop -m immediate``) and delete its directory. Idempotent."""
        if self._owner_pid is not None and self._owner_pid != os.getpid():
            # A forked child must not tear down its parent's server.
            return
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            pg_ctl = (self._bindir or find_bindir()) / "pg_ctl"  # start() found the binaries already
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                self._run(
                    [str(pg_ctl), "stop", "-D", str(self.data_dir), "-m", "immediate", "-w", "-t", "30"],
                    _clean_env(),
                    check=False,
                    timeout=60,
                )
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._dismiss_watchdog()
        if self._base is not None:
            shutil.rmtree(self._base, ignore_errors=True)
        self._base = None
        self._port = None
        self._server_version = None
        self._owner_pid = None
        with _running_lock:
            _running.discard(self)

    # -- addresses -------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("PostgresServer is not running")
        return self._port

    @property
    def base_dir(self) -> Path:
        if self._base is None:
            raise RuntimeError("PostgresServer is not running")
        return self._base

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base_dir / "sock"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    @property
    def bindir(self) -> Path | None:
        return self._bindir

    @property
    def admin_url(self) -> str:
        """SQLAlchemy URL of the ``postgres`` maintenance database."""
        return self.url("postgres")

    def url(self, dbname: str) -> str:
        """``postgresql+psycopg://postgres@127.0.0.1:PORT/dbname``."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{quote(dbname, safe='')}"

    def conninfo(self, dbname: str = "postgres") -> str:
        """libpq connection string, for ``psycopg.connect()``."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo(host=self.host, port=self.port, user=self.user, dbname=dbname)

    @property
    def server_version(self) -> int:
        """``server_version_num``, e.g. 150008."""
        if self._server_version is None:
            with self._admin_connection() as conn:
                self._server_version = conn.info.server_version
        return self._server_version

    # -- databases ------------------------------------------------------------

    def create_database(self, name: str, template: str | None = None) -> str:
        """CREATE DATABASE ``name`` (cloned from ``template`` if given); returns its URL.

        The template must have no open connections (dispose engines on it first).
        """
        from psycopg import sql

        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with self._admin_connection() as conn:
            if conn.info.server_version >= 150000:
                # FILE_COPY beats PG15's default WAL_LOG for small databases
                # (its checkpoint is cheap with fsync=off).
                statement += sql.SQL(" STRATEGY = FILE_COPY")
            conn.execute(statement)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """DROP DATABASE ``name`` if it exists, terminating its connections first."""
        from psycopg import sql

        with self._admin_connection() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            statement = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
            if conn.info.server_version >= 130000:
                statement += sql.SQL(" WITH (FORCE)")
            conn.execute(statement)

    def _admin_connection(self) -> psycopg.Connection[tuple[Any, ...]]:
        import psycopg

        return psycopg.connect(self.conninfo("postgres"), autocommit=True, connect_timeout=10)

    # -- internals ------------------------------------------------------------

    @staticmethod
    def _run_as_user() -> pwd.struct_passwd | None:
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(RUN_AS_USER)
        except KeyError:
            raise RuntimeError(
                f"running as root, but there is no {RUN_AS_USER!r} system user to run the "
                "PostgreSQL server as (initdb/postgres refuse to run as root); "
                "install Debian's postgresql package (make test does this)"
            ) from None

    @staticmethod
    def _make_base_dir(run_as: pwd.struct_passwd | None) -> Path:
        def suitable(parent: Path) -> bool:
            # room for "/warroom-pg-XXXXXXXX/sock/.s.PGSQL.65535"
            if len(str(parent.resolve())) + 45 > _MAX_SOCKET_PATH:
                return False
            return run_as is None or _traversable_by(parent, run_as)

        candidates: list[Path] = []
        override = os.environ.get("WARROOM_PG_TMPDIR", "").strip()
        if override:
            candidates.append(Path(override))
        elif _roomy_dir(_SHM):
            # initdb is I/O bound (thousands of small files): on tmpfs it
            # takes well under half the time it takes on a disk.
            candidates.append(_SHM)
        candidates += [Path(tempfile.gettempdir()), Path("/tmp")]
        parent = next((p for p in candidates if p.is_dir() and os.access(p, os.W_OK) and suitable(p)), None)
        if parent is None:
            raise RuntimeError(
                "no temporary directory usable for the PostgreSQL test server "
                f"(tried {', '.join(map(str, candidates))}: each must be short enough for a "
                "unix socket path" + (f" and reachable by the {run_as.pw_name!r} user)" if run_as else ")")
            )
        base = Path(tempfile.mkdtemp(prefix="warroom-pg-", dir=parent)).resolve()
        sock = base / "sock"
        sock.mkdir(mode=0o700)
        if run_as is not None:
            for path in (base, sock):
                os.chown(path, run_as.pw_uid, run_as.pw_gid)
        return base

    def _wrap(self, command: list[str]) -> list[str]:
        if self._prefix and self._prefix[-1] == "-c":  # su
            return [*self._prefix, "exec " + shlex.join(command)]
        return [*self._prefix, *command]

    def _run(
        self, command: list[str], env: dict[str, str], *, check: bool = True, timeout: float | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self._wrap(command),
            cwd=self._base,  # the server user may not be able to read our cwd
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{shlex.join(command)} failed with exit code {result.returncode}:\n"
                f"{result.stdout}{result.stderr}{self._log_tail()}"
            )
        return result

    def _start_watchdog(self, bindir: Path, env: dict[str, str]) -> None:
        stop_command = self._wrap(
            [str(bindir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "immediate", "-w", "-t", "30"]
        )
        self._watchdog = subprocess.Popen(
            ["/bin/sh", "-c", _WATCHDOG_SCRIPT, "pg-watchdog", str(self.base_dir), *stop_command],
            cwd=self._base,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def _dismiss_watchdog(self) -> None:
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is None:
            return
        try:
            assert watchdog.stdin is not None
            watchdog.stdin.write(b"done\n")
            watchdog.stdin.close()
        except OSError:
            pass
        try:
            watchdog.wait(timeout=10)
        except subprocess.TimeoutExpired:
            watchdog.kill()
            watchdog.wait()

    def _initdb(self, bindir: Path, env: dict[str, str]) -> None:
        self._run(
            [
                str(bindir / "initdb"),
                "-D", str(self.data_dir),
                "-U", SUPERUSER,
                "-A", "trust",
                "-E", "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            env,
            timeout=120,
        )
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.socket_dir),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
            "shared_buffers": "32MB",
            "max_wal_size": "1GB",
            "logging_collector": "off",
            **self._extra_settings,
        }
        # The file exists and belongs to the server user; appending keeps it so.
        with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# warroom test server\n")
            conf.writelines(f"{key} = {_conf_quote(value)}\n" for key, value in settings.items())

    def _launch(self, bindir: Path, env: dict[str, str], deadline: float) -> None:
        """Run ``postgres`` as our own (grand)child and wait until it accepts connections.

        Not ``pg_ctl start``: that daemonises the postmaster, which then gets
        reparented to PID 1 - and in containers PID 1 often reaps orphans
        late or never, leaving ``<defunct>`` postgres processes behind.
        """
        failure = ""
        for _ in range(_PORT_ATTEMPTS):
            port = _free_port()
            log_offset = self.log_file.stat().st_size if self.log_file.exists() else 0
            with open(self.log_file, "ab") as log:
                self._process = subprocess.Popen(
                    self._wrap([str(bindir / "postgres"), "-D", str(self.data_dir), "-p", str(port)]),
                    cwd=self._base,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    # no SIGINT from a terminal ^C: stop() shuts it down
                    start_new_session=True,
                )
            self._port = port
            if self._wait_until_ready(deadline):
                return
            # The server exited during startup.
            self._port = None
            code = self._process.wait()
            self._process = None
            log_text = self._read_log(log_offset)
            failure = f"postgres exited with code {code}"
            if "could not bind" not in log_text and "could not create any TCP/IP sockets" not in log_text:
                break  # not a port race: retrying will not help
            # Someone grabbed the port between _free_port() and bind(): retry.
        raise RuntimeError(f"PostgreSQL test server failed to start: {failure}{self._log_tail()}")

    def _wait_until_ready(self, deadline: float) -> bool:
        """True once the server accepts connections, False if it exited first."""
        import psycopg

        assert self._process is not None
        last_error: Exception | None = None
        while True:
            if self._process.poll() is not None:
                return False
            try:
                with psycopg.connect(self.conninfo("postgres"), connect_timeout=5, autocommit=True) as conn:
                    self._server_version = conn.info.server_version
                    return True
            except psycopg.OperationalError as exc:
                # refused until it listens, then "the database system is starting up"
                last_error = exc
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"PostgreSQL test server on port {self._port} did not accept connections "
                    f"within {self._startup_timeout:.0f} s: {last_error}{self._log_tail()}"
                )
            time.sleep(0.02)

    def _read_log(self, offset: int = 0) -> str:
        try:
            with open(self.log_file, "rb") as log:
                log.seek(offset)
                return log.read().decode("utf-8", "replace")
        except (OSError, RuntimeError):
            return ""

    def _log_tail(self, lines: int = 40) -> str:
        text = self._read_log()
        if not text:
            return ""
        tail = "\n".join(text.splitlines()[-lines:])
        return f"\n--- server log ({self.log_file}) ---\n{tail}"

    def __repr__(self) -> str:
        state = f"port={self._port}" if self.running else "stopped"
        return f"<PostgresServer {state} bindir={self._bindir}>"

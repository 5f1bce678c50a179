"""Redis and PostgreSQL instances of the fault suite's own, on free ports, that a scenario may stop, restart
or flush without disturbing anything else on the machine (the shared servers other tests use included).

    with RedisServer(folder) as redis_server:        # one per scenario: starting one takes milliseconds
        redis_server.restart(down_for=1.0)
    postgres = PostgresServer.start_new()            # one per session: initdb takes seconds
    url = postgres.create_database()
    postgres.restart(down_for=1.0)
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from types import TracebackType

import redis
from processes import wait_for
from required import service_missing
from smtp_server import free_port
from sqlalchemy import create_engine, text


class RedisServer:
    """``redis-server`` on a free port, no persistence (a restart forgets everything), noeviction."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        if shutil.which("redis-server") is None:
            service_missing("redis-server", "not on PATH")
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        argv += ["--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction"]
        self._process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.answers, timeout=20, what=f"redis-server on port {self.port}")
        return self

    def stop(self) -> None:
        """Shut it down (SIGTERM; with no persistence every key is gone)."""
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=20)
            self._process = None

    def restart(self, *, down_for: float) -> None:
        """Stop, stay down ``down_for`` seconds (clients see refused connections), start on the same port."""
        self.stop()
        time.sleep(down_for)
        self.start()

    def flushall(self) -> None:
        with self.client() as client:
            client.flushall()

    def client(self) -> redis.Redis[bytes]:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=5)

    def answers(self) -> bool:
        try:
            with self.client() as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _postgres_bin() -> Path | None:
    """The folder of initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/<newest>/bin."""
    found = shutil.which("pg_ctl")
    if found is not None and shutil.which("initdb") is not None:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


class PostgresServer:
    """A PostgreSQL cluster of its own (initdb in a temporary folder, trust authentication, fsync off: the
    suite crashes processes, never the machine), listening on 127.0.0.1 on a free port.

    PostgreSQL refuses to run as root: when the tests run as root, initdb and pg_ctl run as the
    ``postgres`` user (``runuser``), in a folder that user owns.
    """

    def __init__(self, bin_dir: Path, folder: Path) -> None:
        self.bin_dir = bin_dir
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0

    @classmethod
    def start_new(cls) -> PostgresServer:
        bin_dir = _postgres_bin()
        if bin_dir is None:
            service_missing("PostgreSQL", "no initdb/pg_ctl on PATH or under /usr/lib/postgresql")
        owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                service_missing("PostgreSQL", "running as root, and no postgres user to run initdb as")
        folder = Path(tempfile.mkdtemp(prefix="legalaid-faults-pg-"))
        server = cls(bin_dir, folder)
        try:
            if owner is not None:
                os.chown(folder, owner.pw_uid, owner.pw_gid)
            server._run("initdb", "-D", str(server.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--locale=C", "--no-sync")  # fmt: skip
            server.start()
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return server

    def _run(self, program: str, *args: str) -> None:
        argv = [str(self.bin_dir / program), *args]
        if self._as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise AssertionError(f"{program} {' '.join(args)} failed:\n{result.stdout}{result.stderr}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-o", options,
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """``fast``: every session is terminated (what a restart does to the workers' connections)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, *, down_for: float) -> None:
        """Stop (sessions terminated), stay down ``down_for`` seconds (connections refused), start again."""
        self.stop()
        time.sleep(down_for)
        self.start()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new, empty database; its URL."""
        name = f"faults_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    def close(self) -> None:
        """Stop at once (if it runs: a failed restart may have left it down) and remove the cluster."""
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

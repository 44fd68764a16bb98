"""The local Neo4j: Neo4j 5.26 Community run as an embedded DBMS with Bolt enabled.

Machines without a Docker engine get a real Neo4j this way: Maven resolves the pinned jars
(`neo4j-local/pom.xml`), a small Java launcher starts the DBMS, and this module manages the
process (start, stop, status). The server is shared by every `cdp` command and the tests.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from neo4j import GraphDatabase
from neo4j.exceptions import (
    AuthError,
    DatabaseUnavailable,
    ServiceUnavailable,
    SessionExpired,
)

from core.settings import Settings
from graph.errors import LocalServerError

LAUNCHER_CLASS = "io.graphcdp.neo4j.Launcher"
# The flags of Neo4j 5's stock neo4j.conf that the embedded DBMS needs; without the
# add-opens of java.nio it fails with a LinkageError on DirectByteBuffer.
JVM_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "-Dlog4j2.disable.jmx=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
)


@dataclass(frozen=True, slots=True)
class ServerStatus:
    running: bool
    answering: bool
    pid: int | None
    uri: str
    home: Path
    log_file: Path
    reused: bool = False
    started_in_s: float | None = None


class LocalNeo4j:
    """Start, stop and inspect the local Neo4j described by the settings."""

    def __init__(self, settings: Settings, browser_port: int | None = None) -> None:
        """Args:
        settings: The settings naming the server (port, home, memory).
        browser_port: Also run the HTTP connector on this port, serving Neo4j Browser
            (local development only: Community edition has no read-only roles).
        """
        self.s = settings
        self.browser_port = browser_port
        self.home = settings.neo4j_local_home.resolve()
        self.project = settings.neo4j_local_project.resolve()
        self.pid_file = self.home / "neo4j-local.pid"
        self.log_file = self.home / "logs" / "neo4j-local.log"
        self.uri = settings.local_bolt_uri

    # -- build ----------------------------------------------------------------------
    @property
    def _jar(self) -> Path:
        return self.project / "target" / "neo4j-local-1.0.0.jar"

    def is_built(self) -> bool:
        lib = self.project / "target" / "lib"
        if not (self._jar.is_file() and lib.is_dir() and any(lib.glob("neo4j-bolt-*.jar"))):
            return False
        sources = [self.project / "pom.xml", *self.project.glob("src/**/*.java")]
        return self._jar.stat().st_mtime >= max(p.stat().st_mtime for p in sources)

    def build(self, force: bool = False) -> None:
        """Resolve the pinned Neo4j jars with Maven and compile the launcher."""
        if self.is_built() and not force:
            return
        mvn = shutil.which("mvn")
        if mvn is None:
            raise LocalServerError("Maven (mvn) is not installed; it resolves the Neo4j jars")
        proc = subprocess.run(
            [mvn, "-B", "-q", "-f", str(self.project / "pom.xml"), "package", "-DskipTests"],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr)[-2000:]
            raise LocalServerError(f"building neo4j-local failed:\n{tail}")

    def java_command(self) -> list[str]:
        java = shutil.which("java", path=_java_path())
        if java is None:
            raise LocalServerError("java (17+) is not installed")
        heap = self.s.neo4j_local_heap
        classpath = f"{self._jar}{os.pathsep}{self.project / 'target' / 'lib' / '*'}"
        return [
            java,
            f"-Xms{heap}",
            f"-Xmx{heap}",
            *JVM_FLAGS,
            "-cp",
            classpath,
            LAUNCHER_CLASS,
            "--home",
            str(self.home),
            "--host",
            self.s.neo4j_local_host,
            "--port",
            str(self.s.neo4j_local_port),
            "--auth",
            "true" if self.s.neo4j_local_auth else "false",
            "--pagecache",
            self.s.neo4j_local_pagecache,
            "--tx-log-retention",
            self.s.neo4j_local_tx_log_retention,
            *(["--browser-port", str(self.browser_port)] if self.browser_port else []),
        ]

    # -- state ------------------------------------------------------------------------
    def _pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _alive(pid) and _is_launcher(pid, self.home) else None

    def answers(self) -> bool:
        """True when a Bolt query answers at the configured address."""
        auth = (
            (self.s.neo4j_user, self.s.neo4j_password.get_secret_value())
            if self.s.neo4j_local_auth
            else None
        )
        try:
            with (
                GraphDatabase.driver(self.uri, auth=auth, connection_timeout=2.0) as driver,
                driver.session(database=self.s.neo4j_database) as session,
            ):
                # An auto-commit query: unlike managed transactions it is not retried, so a
                # server that is not up yet is reported at once.
                session.run("RETURN 1").consume()
            return True
        except (ServiceUnavailable, SessionExpired, DatabaseUnavailable, OSError):
            return False
        except AuthError as exc:
            raise LocalServerError(
                f"a server answers at {self.uri} but refuses the configured credentials"
            ) from exc

    def status(self) -> ServerStatus:
        pid = self._pid()
        answering = self.answers()
        return ServerStatus(
            running=pid is not None or answering,
            answering=answering,
            pid=pid,
            uri=self.uri,
            home=self.home,
            log_file=self.log_file,
        )

    # -- start / stop -----------------------------------------------------------------
    def start(self) -> ServerStatus:
        """Start the server unless one already answers; wait until a Bolt query answers."""
        self.home.mkdir(parents=True, exist_ok=True)
        with self._lock():
            current = self.status()
            if current.answering and current.pid is None:
                raise LocalServerError(
                    f"a Neo4j that is not this project's answers at {self.uri} (no server of "
                    f"{self.home} runs); stop it, or set NEO4J_LOCAL_PORT to a free port"
                )
            if current.answering:
                return _with(current, reused=True)
            if current.pid is not None:
                # Ours, still starting (another command started it a moment ago).
                return self._wait(current.pid, time.monotonic(), reused=True)
            self.build()
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            env = dict(os.environ)
            env["NEO4J_LOCAL_PASSWORD"] = self.s.neo4j_password.get_secret_value()
            t0 = time.monotonic()
            with open(self.log_file, "ab") as log:
                proc = subprocess.Popen(
                    self.java_command(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=env,
                    cwd=self.home,
                    start_new_session=True,  # survives the command that started it
                )
            self.pid_file.write_text(str(proc.pid))
            return self._wait(proc.pid, t0, reused=False)

    def _wait(self, pid: int, t0: float, reused: bool) -> ServerStatus:
        deadline = t0 + self.s.neo4j_local_start_timeout_s
        while time.monotonic() < deadline:
            if not _alive(pid):
                self.pid_file.unlink(missing_ok=True)
                raise LocalServerError(
                    f"Neo4j exited during start-up; last log lines:\n{self._log_tail()}"
                )
            if self._ready_logged(pid) and self.answers():
                return ServerStatus(
                    running=True,
                    answering=True,
                    pid=pid,
                    uri=self.uri,
                    home=self.home,
                    log_file=self.log_file,
                    reused=reused,
                    started_in_s=round(time.monotonic() - t0, 2),
                )
            time.sleep(0.5)
        raise LocalServerError(
            f"Neo4j did not answer within {self.s.neo4j_local_start_timeout_s:.0f} s; "
            f"see {self.log_file}"
        )

    def stop(self, timeout_s: float = 120.0) -> bool:
        """Stop the server cleanly (SIGTERM runs the DBMS shutdown). False if none ran."""
        with self._lock():
            pid = self._pid()
            if pid is None:
                self.pid_file.unlink(missing_ok=True)
                return False
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout_s
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
            self.pid_file.unlink(missing_ok=True)
            return True

    def wipe(self) -> None:
        """Delete the data directory (the server must be stopped)."""
        if self._pid() is not None:
            raise LocalServerError("stop the server before wiping its data")
        shutil.rmtree(self.home, ignore_errors=True)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.home / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _ready_logged(self, pid: int) -> bool:
        try:
            return f"neo4j-local: ready pid={pid}" in self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return False

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


def _with(st: ServerStatus, reused: bool) -> ServerStatus:
    return ServerStatus(
        running=st.running,
        answering=st.answering,
        pid=st.pid,
        uri=st.uri,
        home=st.home,
        log_file=st.log_file,
        reused=reused,
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still "exists"; treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _is_launcher(pid: int, home: Path) -> bool:
    """Whether `pid` is our launcher serving `home` (not another checkout's, whose pid the
    system may have handed on)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            args = fh.read().split(b"\0")
    except OSError:
        return True  # no /proc: trust the pid file
    if LAUNCHER_CLASS.encode() not in args:
        return False
    try:
        return args[args.index(b"--home") + 1] == str(home).encode()
    except (ValueError, IndexError):
        return False


def _java_path() -> str:
    java_home = os.environ.get("JAVA_HOME")
    path = os.environ.get("PATH", "")
    return f"{java_home}/bin{os.pathsep}{path}" if java_home else path

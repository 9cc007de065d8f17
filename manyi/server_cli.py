"""`manyi serve`: the HTTP server, optionally with a worker alongside."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from types import FrameType

import typer

from manyi.core.cli_support import cli_errors, console, fail, require_safe_secret_key


def port_taken(host: str, port: int) -> bool:
    """True when something already listens on host:port (binding it is refused)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a closing connection is no owner
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


WORKER_STOP_SECONDS = 60  # a batch in flight is finished; one stuck longer is killed


def _exit_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _die_with_parent() -> None:
    """In the worker child (Linux): get SIGTERM if `manyi serve` itself is killed outright."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the SIGTERM path above still stops it
        pass


PR_SET_PDEATHSIG = 1


def start_worker() -> subprocess.Popen[bytes]:
    preexec = _die_with_parent if sys.platform.startswith("linux") else None
    return subprocess.Popen([sys.executable, "-m", "manyi.cli", "worker"], preexec_fn=preexec)


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """SIGTERM: the worker finishes the batch it is in and exits; kill it if it does not."""
    worker.terminate()
    try:
        worker.wait(timeout=WORKER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def register(app: typer.Typer) -> None:
    @app.command("serve")
    @cli_errors
    def serve(
        host: str = typer.Option("", "--host", help="Bind address (default: setting, 127.0.0.1)"),
        port: int = typer.Option(0, "--port", help="Port (default: setting, 8000)"),
        with_worker: bool = typer.Option(
            False, "--with-worker", help="Also run `manyi worker` in a child process"
        ),
        workers: int = typer.Option(
            1, "--workers", min=1, max=64, help="HTTP worker processes (PostgreSQL: one per core)"
        ),
    ) -> None:
        """Serve Manyi over HTTP."""
        from manyi.core.serving import run_server
        from manyi.core.settings import get_settings

        require_safe_secret_key()
        settings = get_settings()
        host, port = host or settings.host, port or settings.port
        if port_taken(host, port):
            # Said before the worker starts and uvicorn prints a stack of its own.
            fail(
                f"port {port} on {host} is in use (by another program or Manyi): choose another, "
                f"e.g. `manyi serve --port {port + 100}` or `PORT={port + 100} make demo`"
            )
        # Several processes: /metrics adds their HTTP series up from files in a shared directory
        # (prometheus_client's multiprocess mode), fresh for this run (manyi.ops.metrics).
        metrics_dir = None
        if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="manyi-metrics-")
        worker = start_worker() if with_worker else None
        console.print(
            f"Manyi is running. Console 控制台: http://{host}:{port}/login  ·  "
            f"API docs: http://{host}:{port}/docs  ·  health: /healthz",
            highlight=False,
        )
        if worker:
            console.print(f"worker running (pid {worker.pid})", highlight=False)
        # uvicorn re-raises the SIGTERM it caught once it has shut down; with the default handler
        # that ends this process on the spot and the worker was left running as an orphan. Ours
        # turns it into an exit that runs the `finally` below.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            run_server("manyi.app:create_app", host=host, port=port, workers=workers)
        finally:
            if worker:
                stop_worker(worker)
            if metrics_dir:
                shutil.rmtree(metrics_dir, ignore_errors=True)

"""Jasmin, an SMS gateway from PyPI, between the client and the SMSC, as an operator runs one: it
checks the ESME's password, routes each submit to an SMPP connector bound to the SMSC (smsc.py),
maps the SMSC's receipts back to its own message ids, and routes customers' messages to the user.

Jasmin pins libraries Manyi's lock cannot hold, so it lives in its own environment, installed from
tests/notify/smpp/jasmin/uv.lock with `uv sync --frozen` into .tools/jasmin. It keeps its routing in
RabbitMQ and Redis (this machine runs both), is configured through jCli (its telnet console), and
runs from a temporary ROOT_PATH with its own ports.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.notify.smpp.smsc import ROOT, free_port

PROJECT = Path(__file__).resolve().parent / "jasmin"
ENVIRONMENT = ROOT / ".tools" / "jasmin"

USERNAME, PASSWORD = "manyi", "secret"


def _uv() -> str:
    found = shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    if not Path(found).exists():
        raise RuntimeError("uv is not installed (make install puts it in .tools/bin)")
    return found


def install() -> Path:
    """Jasmin's environment from its lock; the interpreter to run jasmind.py with."""
    subprocess.run(
        [_uv(), "sync", "--frozen", "--quiet", "--project", str(PROJECT)],
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(ENVIRONMENT)},
        check=True,
        capture_output=True,
        timeout=600,
    )
    return ENVIRONMENT / "bin" / "python"


def _amqp_spec() -> Path:
    specs = sorted(ENVIRONMENT.glob("lib/python*/site-packages/txamqp/specs/standard/amqp0-9-1.stripped.xml"))
    if not specs:
        raise RuntimeError(f"txAMQP's AMQP 0-9-1 spec is missing from {ENVIRONMENT}")
    return specs[0]


def _wait_for_port(port: int, timeout: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jasmind exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"jasmind did not listen on {port} within {timeout} s")


class JCli:
    """Jasmin's console over a plain socket: one command per line, answered up to the next prompt."""

    def __init__(self, port: int) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=10)
        self._read((b"Session ref:",))  # the banner; the first prompt comes with the first answer

    def _read(self, ends: tuple[bytes, ...] = (b"jcli :", b">")) -> str:
        data = b""
        while not any(end in data.rstrip()[-20:] for end in ends):
            chunk = self.socket.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.decode("utf-8", errors="replace")

    def __call__(self, *lines: str) -> str:
        answer = ""
        for line in lines:
            self.socket.sendall(line.encode() + b"\r\n")
            answer = self._read()
        return answer

    def close(self) -> None:
        self.socket.close()


class JasminGateway:
    """jasmind with one ESME user, one SMPP connector to the SMSC, and default MT and MO routes."""

    def __init__(self, directory: Path, smsc_port: int) -> None:
        self.directory = directory
        self.smsc_port = smsc_port
        # The connector's RabbitMQ queue (submit.sm.<cid>) outlives jasmind: a name of its own per
        # gateway keeps a killed run's leftovers away from the next run's SMSC.
        self.connector = f"smsc{smsc_port}"
        self.smpp_port = free_port()
        self.jcli_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> JasminGateway:
        python = install()
        config = self.directory / "etc" / "jasmin"
        (config / "store").mkdir(parents=True)
        (self.directory / "var" / "log" / "jasmin").mkdir(parents=True)
        (config / "jasmin.cfg").write_text(
            f"[smpp-server]\nbind = 127.0.0.1\nport = {self.smpp_port}\n"
            f"[jcli]\nbind = 127.0.0.1\nport = {self.jcli_port}\nauthentication = False\n"
            # Redis database 0: with `dbid = 13` jasmin 0.11.1 still wrote its DLR maps to 0 and then
            # looked them up in 13. The tests ask for no receipts through Jasmin, so it writes none.
            "[amqp-broker]\nhost = 127.0.0.1\nport = 5672\n"
            # The wheel lacks the AMQP spec the sdist keeps beside its config; txAMQP ships it.
            f"spec = {_amqp_spec()}\n"
        )
        self.log = (self.directory / "jasmind.log").open("wb")
        self.process = subprocess.Popen(
            [
                str(python),
                str(python.parent / "jasmind.py"),
                "--disable-http-api",
                "--enable-dlr-lookup",
                "--enable-dlr-thrower",
                "--enable-deliver-thrower",
            ],
            env={**os.environ, "ROOT_PATH": str(self.directory), "CONFIG_PATH": f"{config}/"},
            cwd=self.directory,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_port(self.jcli_port, 60, self.process)
            _wait_for_port(self.smpp_port, 10, self.process)
            self._configure()
        except Exception:
            self.stop()
            raise
        return self

    def _configure(self) -> None:
        jcli = JCli(self.jcli_port)
        try:
            jcli("group -a", "gid manyi", "ok")
            jcli("user -a", "uid manyi", f"username {USERNAME}", f"password {PASSWORD}", "gid manyi", "ok")
            added = jcli(
                "smppccm -a",
                f"cid {self.connector}",
                "host 127.0.0.1",
                f"port {self.smsc_port}",
                "username jasmin",
                "password jasmin",
                "submit_throughput 0",
                "ok",
            )
            if "Successfully added" not in added:
                raise RuntimeError(f"jCli refused the connector: {added}")
            jcli(f"smppccm -1 {self.connector}")
            jcli("mtrouter -a", "type DefaultRoute", f"connector smppc({self.connector})", "rate 0.00", "ok")
            jcli("morouter -a", "type DefaultRoute", f"connector smpps({USERNAME})", "ok")
            routes = jcli("mtrouter -l") + jcli("morouter -l")
            if routes.count("DefaultRoute") != 2:
                raise RuntimeError(f"jCli did not keep the routes: {routes}")
        finally:
            jcli.close()

    def connector_status(self) -> str:
        jcli = JCli(self.jcli_port)
        try:
            return jcli("smppccm -l")
        finally:
            jcli.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if hasattr(self, "log"):
            self.log.close()

"""Run an ASGI app under uvicorn with N worker processes, keeping TCP_NODELAY on every connection.

uvicorn's own `--workers N` binds the listening socket with proto 0; accepted sockets inherit it and
asyncio then skips TCP_NODELAY, so every keep-alive request after the first waits ~40 ms for the
client's delayed ACK (uvicorn issue #3149, open). We bind the socket with proto IPPROTO_TCP and hand
it to uvicorn's supervisor ourselves.
"""

from __future__ import annotations

import socket
import sys

import uvicorn
from uvicorn.supervisors import Multiprocess


class _Config(uvicorn.Config):
    def bind_socket(self) -> socket.socket:
        family = socket.AF_INET6 if self.host and ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.set_inheritable(True)
        return sock


def run_server(app: str, *, host: str, port: int, workers: int, log_level: str = "warning") -> None:
    """Serve app ("module:factory") on host:port with workers processes until stopped."""
    config = _Config(
        app, factory=True, host=host, port=port, workers=workers, log_level=log_level, access_log=False
    )
    if workers <= 1:
        uvicorn.Server(config).run()
        return
    Multiprocess(config, sockets=[config.bind_socket()]).run()


if __name__ == "__main__":  # python -m manyi.core.serving APP PORT WORKERS (benchmarks)
    run_server(sys.argv[1], host="127.0.0.1", port=int(sys.argv[2]), workers=int(sys.argv[3]))

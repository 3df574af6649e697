"""loopback backend: every node serves NETCONF on 127.0.0.1 at its own port.

No links exist on this backend (the devices still know their neighbours from their
startup files, which is what LLDP reports); ports are allocated by the kernel
(bind to port 0) so concurrent labs do not collide.
"""

from __future__ import annotations

import socket

__all__ = ["HOST", "allocate_ports", "port_free"]

HOST = "127.0.0.1"


def allocate_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1 (held open until all are chosen)."""
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def port_free(port: int, host: str = HOST) -> bool:
    """Whether nothing listens on ``host:port`` and it can be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True

"""systemd's notify protocol (Type=notify): READY, STOPPING, STATUS and WATCHDOG messages.

The protocol is one datagram to the socket named in $NOTIFY_SOCKET (sd_notify(3)); without that
variable (not under systemd) every call does nothing.
"""

from __future__ import annotations

import os
import socket


def notify(*messages: str) -> bool:
    """Send `READY=1`, `STATUS=…`, … in one datagram; False when not under systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace socket
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(address)
            sock.sendall("\n".join(messages).encode())
        except OSError:
            return False
    return True


def watchdog_interval() -> float | None:
    """Seconds between two WATCHDOG=1 systemd expects (WatchdogSec=), or None."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return int(usec) / 1_000_000
    except ValueError:
        return None

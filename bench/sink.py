"""An SMTP sink for the benchmarks and the reliability suite: a real aiosmtpd server on loopback
that appends one JSON line per received mail (time, Message-ID, recipients, subject) to a file.

    python -m bench.sink --port 2525 --out received.jsonl [--fail 421|550 --fail-rcpt ADDR]

Run as its own process so that killing the daemon under test never touches it.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import signal
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class RecordingHandler:
    def __init__(self, out: Path, fail_code: int | None, fail_rcpt: set[str]) -> None:
        self.out = out.open("a", encoding="utf-8", buffering=1)
        self.fail_code = fail_code
        self.fail_rcpt = fail_rcpt

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.fail_rcpt:
            return "550 5.1.1 Utilisateur inconnu"
        if self.fail_code:
            text = "4.3.0 Try again later" if self.fail_code < 500 else "5.0.0 Refused"
            return f"{self.fail_code} {text}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        record = {
            "t": time.time(),
            "message_id": str(message.get("Message-ID", "")),
            "to": list(envelope.rcpt_tos),
            "subject": str(message.get("Subject", "")),
        }
        self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return "250 Message accepted"


def start(
    out: Path, port: int, *, fail_code: int | None = None, fail_rcpt: set[str] | None = None
) -> Controller:
    controller = Controller(
        RecordingHandler(out, fail_code, fail_rcpt or set()), hostname="127.0.0.1", port=port
    )
    controller.start()
    return controller


def read(out: Path) -> list[dict[str, Any]]:
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--fail", type=int, default=None, help="answer every RCPT with this code")
    parser.add_argument("--fail-rcpt", action="append", default=[], help="550 for this address")
    args = parser.parse_args()
    controller = start(args.out, args.port, fail_code=args.fail, fail_rcpt=set(args.fail_rcpt))
    print(f"sink listening on 127.0.0.1:{args.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    main()

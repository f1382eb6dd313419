"""`python -m pulumi_bitrix24.emulator --data DIR [--port N] [--plan standard] [--portals a,b] [--operating-scale S]
[--round-trip SECONDS] [--call-seconds SECONDS]`:
serve until stopped.

Prints one JSON line: the default portal's URLs, CLIENT_ID and CA bundle, and under "portals" the same for each
extra portal (served under /<name>/ by the same process).
"""

from __future__ import annotations

import argparse
import json
import sys

from .._ratelimit import PLANS
from ._portal import Latency
from ._server import Emulator, PortInUseError


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m pulumi_bitrix24.emulator", description=__doc__)
    parser.add_argument("--data", required=True, help="folder for the SQLite state and the test CA")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--plan", choices=sorted(PLANS), default="standard", help="rate-limit plan")
    parser.add_argument("--token-lifetime", type=float, default=3600.0, help="OAuth access token seconds")
    parser.add_argument(
        "--operating-scale",
        type=float,
        default=1.0,
        help="real seconds per second of each method's operating-time budget (0.001: its 10 minutes pass in 0.6 s)",
    )
    parser.add_argument("--round-trip", type=float, default=0.0, help="network seconds per request, e.g. 0.08")
    parser.add_argument(
        "--call-seconds", type=float, default=0.0, help="server seconds per call, a batch's one after another"
    )
    parser.add_argument("--portals", default="", help="comma-separated names of extra portals, e.g. acme,globex")
    args = parser.parse_args()
    names = tuple(name for name in args.portals.split(",") if name)
    try:
        emulator = Emulator(
            args.data,
            port=args.port,
            plan=args.plan,
            token_lifetime=args.token_lifetime,
            portals=names,
            operating_scale=args.operating_scale,
            latency=Latency(args.round_trip, args.call_seconds),
        )
    except PortInUseError as exc:
        sys.exit(f"emulator: {exc.strerror}; pick another --port or stop the other process")
    except ValueError as exc:
        sys.exit(f"emulator: {exc}")
    extra = {name: info.as_dict() for name, info in emulator.portals.items()}
    print(json.dumps({**emulator.info.as_dict(), **({"portals": extra} if extra else {})}), flush=True)
    emulator.serve_forever()


if __name__ == "__main__":
    main()

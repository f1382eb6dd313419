"""`python -m pulumi_bitrix24.emulator --data DIR [--port N] [--plan standard]`: serve until stopped."""

from __future__ import annotations

import argparse
import json
import sys

from .._ratelimit import PLANS
from ._server import Emulator, PortInUseError


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m pulumi_bitrix24.emulator", description=__doc__)
    parser.add_argument("--data", required=True, help="folder for the SQLite state and the test CA")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--plan", choices=sorted(PLANS), default="standard", help="rate-limit plan")
    parser.add_argument("--token-lifetime", type=float, default=3600.0, help="OAuth access token seconds")
    args = parser.parse_args()
    try:
        emulator = Emulator(args.data, port=args.port, plan=args.plan, token_lifetime=args.token_lifetime)
    except PortInUseError as exc:
        sys.exit(f"emulator: {exc.strerror}; pick another --port or stop the other process")
    print(json.dumps(emulator.info.as_dict()), flush=True)
    emulator.serve_forever()


if __name__ == "__main__":
    main()

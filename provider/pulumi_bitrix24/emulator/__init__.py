"""A local Bitrix24 portal (HTTPS, persistent, rate-limited) for running and testing Pulumi programs."""

from ._portal import Latency
from ._server import Emulator, EmulatorInfo

__all__ = ["Emulator", "EmulatorInfo", "Latency"]

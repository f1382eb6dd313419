"""A local Bitrix24 portal (HTTPS, persistent, rate-limited) for running and testing Pulumi programs."""

from ._server import Emulator, EmulatorInfo

__all__ = ["Emulator", "EmulatorInfo"]

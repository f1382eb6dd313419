"""Running the emulator: TLS material kept in the data folder, uvicorn on a loopback socket."""

from __future__ import annotations

import asyncio
import errno
import re
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import trustme
import uvicorn
from starlette.routing import Mount, Router
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

from .._ratelimit import plan_named
from ._app import build_app
from ._portal import DEFAULT_USER_ID, Latency, Portal
from ._store import Store

_RESERVED = frozenset({"rest", "oauth", "_emulator"})
# Seconds a connection gets for its TLS handshake, and for a request's headers once it opened or answered the
# previous request; uvicorn has no such limit, and asyncio waits 60 s for a handshake.
HEAD_TIMEOUT = 5.0


class PortInUseError(OSError):
    """The emulator's port is already taken by another process."""


class _TimelyLoop(asyncio.SelectorEventLoop):
    """asyncio's loop, with servers that drop a client stuck in its TLS handshake after HEAD_TIMEOUT."""

    async def create_server(self, *args: Any, **kwargs: Any) -> asyncio.Server:
        return await super().create_server(*args, ssl_handshake_timeout=HEAD_TIMEOUT, **kwargs)


class _TimelyH11(H11Protocol):
    """uvicorn's HTTP/1.1 protocol plus a deadline for request headers: a connection that is not inside a
    request HEAD_TIMEOUT after it opened or after its last response is closed (a body is bounded by the app)."""

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(HEAD_TIMEOUT, self._expire)

    def _expire(self) -> None:
        if self.cycle is None or self.cycle.response_complete:
            self.transport.close()


@dataclass(frozen=True)
class EmulatorInfo:
    """What a client needs: where the portal is, its default webhook and CLIENT_ID, and the CA to trust."""

    base_url: str
    webhook_url: str
    client_id: str
    ca_bundle: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _tls_files(data: Path) -> tuple[Path, Path, Path]:
    """A test CA and a 127.0.0.1/localhost certificate, made once and reused after restarts."""
    ca_path, cert_path, key_path = data / "ca.pem", data / "server.pem", data / "server.key"
    if not (ca_path.exists() and cert_path.exists() and key_path.exists()):
        ca = trustme.CA(organization_name="pulumi-bitrix24 emulator")
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ca.cert_pem.write_to_path(str(ca_path))
        cert.private_key_pem.write_to_path(str(key_path))
        cert_path.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    return ca_path, cert_path, key_path


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket; connections queue from now on, so the printed URL is usable at once."""
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets that name it, and without
    # NODELAY every response waits ~40 ms for a delayed ACK between its header and body records.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(exc.errno, f"port {port} on {host} is already in use") from exc
        raise
    sock.listen(2048)
    return sock


PORTAL_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
"""Names of the extra portals: each is served under /<name>/, as if it were its own host."""


class Emulator:
    """A local Bitrix24 portal over HTTPS; use as a context manager or call start()/stop().

    `portals` adds independent portals served by the same process under `/<name>/` (their own store, rate limit,
    journal, webhooks and OAuth apps; one CA for all), so a fleet can be tried without real portals.
    """

    def __init__(
        self,
        data: Path | str,
        port: int = 0,
        plan: str = "standard",
        host: str = "127.0.0.1",
        token_lifetime: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        portals: tuple[str, ...] = (),
        operating_scale: float = 1.0,
        latency: Latency | None = None,
    ) -> None:
        bad = [name for name in portals if not PORTAL_NAME.fullmatch(name) or name in _RESERVED]
        if bad or len(set(portals)) != len(portals):
            raise ValueError(f"portal names must be unique, lowercase letters, digits and hyphens: {bad or portals}")
        self._host = host
        self._socket = _listen(host, port)
        self.data = Path(data)
        self.data.mkdir(parents=True, exist_ok=True)

        def portal_in(folder: Path) -> Portal:
            folder.mkdir(parents=True, exist_ok=True)
            return Portal(Store(folder / "portal.sqlite3"), plan_named(plan), token_lifetime, clock, operating_scale)

        self.portal = portal_in(self.data)
        self.portal.latency = latency or Latency()
        self.store = self.portal.store
        self._extra = {name: portal_in(self.data / name) for name in portals}
        self._tls = _tls_files(self.data)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.info = self._describe(self.store, "")
        self.portals = {name: self._describe(portal.store, f"{name}/") for name, portal in self._extra.items()}
        """What a client needs for each extra portal, by name."""

    def _describe(self, store: Store, prefix: str) -> EmulatorInfo:
        code = store.meta("default_webhook_code", lambda: store.add_webhook(DEFAULT_USER_ID))
        client_id = store.meta("default_client_id", lambda: "emulator-" + secrets.token_hex(6))
        port = self._socket.getsockname()[1]
        base = f"https://{self._host}:{port}/{prefix}"
        return EmulatorInfo(
            base_url=base,
            webhook_url=f"{base}rest/{DEFAULT_USER_ID}/{code}/",
            client_id=client_id,
            ca_bundle=str(self._tls[0]),
        )

    def _app(self) -> ASGIApp:
        """The default portal at /, each extra portal under /<name>/."""
        if not self._extra:
            return build_app(self.portal)
        mounts = [Mount(f"/{name}", app=build_app(portal)) for name, portal in self._extra.items()]
        return Router(routes=[*mounts, Mount("/", app=build_app(self.portal))])

    def _config(self) -> uvicorn.Config:
        _, cert, key = self._tls
        return uvicorn.Config(
            self._app(),
            ssl_certfile=str(cert),
            ssl_keyfile=str(key),
            log_level="warning",
            access_log=False,
            lifespan="off",
            http=_TimelyH11,
            loop=f"{__name__}:{_TimelyLoop.__name__}",  # uvicorn takes a custom loop factory by import path
            timeout_keep_alive=int(HEAD_TIMEOUT),
            timeout_graceful_shutdown=2,  # idle keep-alive clients must not hold up Ctrl-C / SIGTERM
        )

    def serve_forever(self) -> None:
        """Serve in this thread until SIGINT/SIGTERM, then close the store and return (exit status 0)."""
        # uvicorn handles the signals while serving, then re-raises them to the handlers it found:
        # make those no-ops so that the process ends normally instead of being killed by the signal.
        for handled in (signal.SIGINT, signal.SIGTERM):
            signal.signal(handled, lambda *_: None)
        self._server = uvicorn.Server(self._config())
        self._server.run(sockets=[self._socket])
        self._close_stores()

    def _close_stores(self) -> None:
        self.store.close()
        for portal in self._extra.values():
            portal.store.close()

    def start(self) -> EmulatorInfo:
        """Serve in a background thread; returns once the socket accepts connections."""
        server = uvicorn.Server(self._config())
        self._server = server
        self._thread = threading.Thread(target=lambda: server.run(sockets=[self._socket]), daemon=True)
        self._thread.start()
        while not server.started:
            if not self._thread.is_alive():
                raise RuntimeError("emulator failed to start")
            self._thread.join(0.01)
        return self.info

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True  # do not wait for idle keep-alive clients
        if self._thread is not None:
            self._thread.join(10)
        self._socket.close()
        self._close_stores()

    def __enter__(self) -> EmulatorInfo:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

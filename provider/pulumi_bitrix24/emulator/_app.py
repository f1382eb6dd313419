"""The emulator's HTTP surface: REST calls, the OAuth token endpoint and the /_emulator test controls."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import time
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._methods import ApiError
from ._params import parse_body, parse_query
from ._placements import ADMIN_USER_ID
from ._portal import Auth, Fault, Portal, batch_commands, batch_methods, journaled, normalize_method
from ._store import DEFAULT_SCOPES

logger = logging.getLogger("uvicorn.error")

MAX_BODY_BYTES = 5 * 1024 * 1024
# A body must arrive within this many seconds once its headers have; a stalled upload gets 408 instead of
# holding a task and its buffer for as long as the client likes.
BODY_TIMEOUT = 10.0


class DropConnection(Exception):
    """Raised by a handler to close the client's connection without any answer."""


def portal_url(request: Request) -> str:
    """The portal's own base URL, ending in `/`: the server's, plus /<name>/ for a portal mounted under a name."""
    mounted = str(request.scope.get("root_path", "")).strip("/")
    return f"{request.base_url}{mounted}/" if mounted else str(request.base_url)


def error_response(exc: ApiError) -> JSONResponse:
    return JSONResponse({"error": exc.code, "error_description": exc.description}, status_code=exc.status)


def _too_large() -> ApiError:
    return ApiError("INVALID_REQUEST", f"Request body is larger than {MAX_BODY_BYTES} bytes", 413)


async def read_body(request: Request) -> bytes:
    """The body of any request, never buffering more than MAX_BODY_BYTES nor waiting past BODY_TIMEOUT."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    body = bytearray()
    try:
        async with asyncio.timeout(BODY_TIMEOUT):
            async for chunk in request.stream():
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    raise _too_large()
    except TimeoutError as exc:
        raise ApiError("INVALID_REQUEST", f"Request body did not arrive within {BODY_TIMEOUT:g} s", 408) from exc
    except ClientDisconnect as exc:
        raise DropConnection from exc
    return bytes(body)


async def read_params(request: Request) -> dict[str, Any]:
    """Query string merged with the body (JSON or form)."""
    body = await read_body(request)
    return {**parse_query(request.url.query), **parse_body(request.headers.get("content-type", ""), body)}


class RestEndpoints:
    """Handlers bound to one portal."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    async def webhook(self, request: Request) -> Response:
        user_id, code = request.path_params["user_id"], request.path_params["code"]
        return await self._rest(request, lambda _params: self.portal.webhook_auth(user_id, code))

    async def oauth(self, request: Request) -> Response:
        return await self._rest(request, lambda params: self.portal.token_auth(str(params.pop("auth", ""))))

    async def _rest(self, request: Request, authenticate: Any) -> Response:
        started = time.time()
        method = normalize_method(request.path_params["method"])
        if self.portal.moved_to is not None:
            return self._moved(request, method, self.portal.moved_to)
        # status and error stay these only if the call ends in an unexpected exception (answered as a 500)
        entry: dict[str, Any] = {
            "time": started,
            "method": method,
            "auth": None,
            "params": {},
            "status": 500,
            "error": "INTERNAL_SERVER_ERROR",
        }
        try:
            params = await read_params(request)
            latency = self.portal.latency
            if latency.round_trip:
                await asyncio.sleep(latency.before())
            entry["params"] = journaled(params)
            if method == "batch":
                entry["calls"] = batch_methods(params)
            if not self.portal.bucket.try_acquire():
                raise ApiError("QUERY_LIMIT_EXCEEDED", "Too many requests", 503)
            auth: Auth = authenticate(params)
            entry["auth"] = auth.kind
            fault = self.portal.take_fault(method)
            if fault is not None and not fault.after:
                await self._apply_fault(fault)
            ending = [fault] if fault is not None and fault.after else []
            result = self.portal.call(method, auth, params, ending)
            for late in ending:
                await self._apply_fault(late)
            if latency.round_trip or latency.call_seconds:
                await asyncio.sleep(latency.after(len(entry.get("calls", [method]))))
            response: Response = JSONResponse({"result": result, "time": self.portal.time_of(auth, method, started)})
            entry.update(status=200, error=None)
            if method == "batch":
                done, failed = result.get("result") or {}, result.get("result_error") or {}
                ran = [k for k in batch_commands(params) or {} if k in done or k in failed]
                entry["call_errors"] = [failed.get(k, {}).get("error") for k in ran]
            if any(f.garble for f in ([fault] if fault else []) + ending):
                response = Response("<html>502 Bad Gateway</html>", status_code=200, media_type="text/html")
                entry["error"] = "garbled"
        except ApiError as exc:
            response = error_response(exc)
            entry.update(status=exc.status, error=exc.code)
        except DropConnection:
            entry.update(status=None, error="dropped")
            raise
        finally:
            self.portal.record(entry)
        return response

    def _moved(self, request: Request, method: str, new_base: str) -> Response:
        """A renamed portal: the same path and query at its new address, with 301 and a Location
        (settings/how-to-call-rest-api/change-domen.md); journaled, with nothing run."""
        path = request.url.path.removeprefix(str(request.scope.get("root_path", ""))).lstrip("/")
        query = f"?{request.url.query}" if request.url.query else ""
        self.portal.record(
            {"time": time.time(), "method": method, "auth": None, "params": {}, "status": 301, "error": "moved"}
        )
        return Response(status_code=301, headers={"Location": f"{new_base.rstrip('/')}/{path}{query}"})

    @staticmethod
    async def _apply_fault(fault: Fault) -> None:
        if fault.stall:
            await asyncio.sleep(fault.stall)
        if fault.drop:
            raise DropConnection
        if fault.error:
            raise ApiError(fault.error, fault.description, fault.status)

    async def token(self, request: Request) -> Response:
        """`/oauth/token/`: `grant_type=refresh_token` (client_id, client_secret, refresh_token) or
        `authorization_code` (client_id, client_secret, code), settings/oauth/index.md. Journaled without secrets."""
        entry: dict[str, Any] = {"time": time.time(), "method": "oauth/token", "status": 500, "error": None}
        try:
            params = await read_params(request)
            entry["grant_type"] = str(params.get("grant_type", ""))
            response = self._grant(request, params)
            answer = json.loads(bytes(response.body))
            entry.update(status=response.status_code, error=answer.get("error"))
            return response
        except ApiError as exc:
            entry.update(status=exc.status, error=exc.code)
            raise
        finally:
            self.portal.record(entry)

    def _grant(self, request: Request, params: dict[str, Any]) -> JSONResponse:
        grant_type = params.get("grant_type")
        if grant_type not in ("refresh_token", "authorization_code"):
            return JSONResponse({"error": "invalid_request", "error_description": "grant_type"}, 400)
        client_id = str(params.get("client_id", ""))
        secret = self.portal.store.oauth_secret(client_id)
        if secret is None or secret != params.get("client_secret"):
            return JSONResponse({"error": "invalid_client", "error_description": "Invalid client"}, 401)
        if grant_type == "refresh_token":
            tokens = self.portal.store.rotate_refresh_token(client_id, str(params.get("refresh_token", "")))
        else:
            tokens = self.portal.store.redeem_code(client_id, str(params.get("code", "")), self.portal.token_lifetime)
        if tokens is None:
            return JSONResponse({"error": "invalid_grant", "error_description": f"Invalid {grant_type}"}, 400)
        base = portal_url(request)
        tokens.update(
            client_endpoint=base + "rest/",
            server_endpoint=base + "rest/",
            domain=request.url.netloc,
            member_id="emulator",
            status="L",
        )
        return JSONResponse(tokens)


async def control_spec(request: Request) -> dict[str, Any]:
    """The JSON object a control call sends (empty when it sends none)."""
    return parse_body("application/json", await read_body(request))


class Controls:
    """`/_emulator/*`: journal, state, reset, faults, extra webhooks and OAuth apps, the operating-time budget and
    a move of the portal to a new address; loopback only."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    async def journal(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.portal.journal.clear()
        return JSONResponse(list(self.portal.journal))

    async def state(self, request: Request) -> Response:
        return JSONResponse(self.portal.state())

    async def reset(self, request: Request) -> Response:
        self.portal.store.reset()
        self.portal.journal.clear()
        self.portal.faults.clear()
        self.portal.operating.reset(self.portal.operating_scale)
        self.portal.moved_to = None
        return JSONResponse({"ok": True})

    async def move(self, request: Request) -> Response:
        """Rename the portal: from now on its REST paths redirect to the same path under `to` (a base URL such as
        `https://renamed.example.com/`); `to` null undoes it."""
        to = (await control_spec(request)).get("to")
        if to is not None and not (isinstance(to, str) and to.startswith(("https://", "http://"))):
            raise ApiError("INVALID_REQUEST", f"to must be a base URL such as https://renamed.example.com/, got {to!r}")
        self.portal.moved_to = to
        return JSONResponse({"moved_to": to})

    async def operating(self, request: Request) -> Response:
        """Set the budget's `scale` (real seconds per second of its 10-minute window; starts the budget afresh)
        and/or how long each call of `method` takes (`seconds` of operating time); answers the settings."""
        spec = await control_spec(request)
        budget = self.portal.operating
        try:
            if "scale" in spec:
                scale = float(spec["scale"])
                if not 0 < scale <= 1:
                    raise ValueError(f"scale must be above 0 and at most 1, got {scale}")
                budget.reset(scale)
            if "method" in spec:
                budget.costs[normalize_method(str(spec["method"]))] = float(spec["seconds"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ApiError("INVALID_REQUEST", f"operating needs method and seconds, or scale: {exc}") from exc
        return JSONResponse({"scale": budget.scale, "costs": budget.costs})

    async def faults(self, request: Request) -> Response:
        spec = await control_spec(request)
        try:
            fault = Fault(
                count=int(spec.get("count", 1)),
                error=spec.get("error"),
                status=int(spec.get("status", 400)),
                description=str(spec.get("description", "Injected fault")),
                drop=bool(spec.get("drop", False)),
                stall=float(spec.get("stall", 0)),
                after=bool(spec.get("after", False)),
                garble=bool(spec.get("garble", False)),
            )
            method = str(spec["method"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ApiError("INVALID_REQUEST", f"fault needs method and numeric count/status/stall: {exc}") from exc
        self.portal.add_fault(method, fault)
        return JSONResponse({"ok": True})

    async def webhooks(self, request: Request) -> Response:
        spec = await control_spec(request)
        scopes = tuple(spec.get("scopes", DEFAULT_SCOPES))
        code = self.portal.store.add_webhook(int(spec.get("user_id", 1)), scopes)
        return JSONResponse({"webhook_url": f"{portal_url(request)}rest/{spec.get('user_id', 1)}/{code}/"})

    async def oauth(self, request: Request) -> Response:
        spec = await control_spec(request)
        client_id, client_secret = self.portal.store.add_oauth_app()
        lifetime = float(spec.get("lifetime", self.portal.token_lifetime))
        scopes = tuple(spec.get("scopes", DEFAULT_SCOPES))
        # "admin": false issues the tokens of a plain employee, whom placement.bind refuses (ACCESS_DENIED).
        user_id = ADMIN_USER_ID if spec.get("admin", True) else ADMIN_USER_ID + 1
        tokens = self.portal.store.issue_token(client_id, lifetime, scopes, user_id)
        return JSONResponse({"client_secret": client_secret, "portal_url": portal_url(request), **tokens})

    async def oauth_code(self, request: Request) -> Response:
        """A one-time authorization code for the OAuth app `client_id`, as the authorize redirect carries it."""
        spec = await control_spec(request)
        user_id = ADMIN_USER_ID if spec.get("admin", True) else ADMIN_USER_ID + 1
        code = self.portal.store.issue_code(str(spec.get("client_id", "")), user_id)
        if code is None:
            raise ApiError("INVALID_REQUEST", "client_id names no OAuth app of this emulator", 404)
        return JSONResponse({"code": code})

    async def expire_tokens(self, request: Request) -> Response:
        self.portal.store.expire_tokens()
        return JSONResponse({"ok": True})


def _from_loopback(scope: Scope) -> bool:
    host = (scope.get("client") or ("", 0))[0]
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LoopbackOnly:
    """Refuses /_emulator/ to anyone but this machine; turns every failure into an envelope or a closed socket."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/_emulator/") and not _from_loopback(scope):
            await JSONResponse({"error": "ACCESS_DENIED"}, 403)(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except ApiError as exc:
            await error_response(exc)(scope, receive, send)
        except DropConnection:
            # uvicorn hands the app a bound method of its request cycle, which holds the transport.
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            if transport is not None:
                transport.abort()
        except Exception as exc:
            if started:
                raise
            # A bug in the emulator: keep the traceback in the log, give the client the portal's 500 envelope.
            logger.exception("unexpected error answering %s %s", scope.get("method"), scope.get("path"))
            await error_response(ApiError("INTERNAL_SERVER_ERROR", f"Internal server error: {exc!r}", 500))(
                scope, receive, send
            )


def build_app(portal: Portal) -> ASGIApp:
    rest, controls = RestEndpoints(portal), Controls(portal)
    routes = [
        Route("/rest/{user_id:int}/{code}/{method}", rest.webhook, methods=["GET", "POST"]),
        Route("/rest/{method}", rest.oauth, methods=["GET", "POST"]),
        Route("/oauth/token/", rest.token, methods=["GET", "POST"]),
        Route("/_emulator/journal", controls.journal, methods=["GET", "DELETE"]),
        Route("/_emulator/state", controls.state),
        Route("/_emulator/reset", controls.reset, methods=["POST"]),
        Route("/_emulator/faults", controls.faults, methods=["POST"]),
        Route("/_emulator/webhooks", controls.webhooks, methods=["POST"]),
        Route("/_emulator/oauth", controls.oauth, methods=["POST"]),
        Route("/_emulator/oauth-code", controls.oauth_code, methods=["POST"]),
        Route("/_emulator/expire-tokens", controls.expire_tokens, methods=["POST"]),
        Route("/_emulator/operating", controls.operating, methods=["POST"]),
        Route("/_emulator/move", controls.move, methods=["POST"]),
    ]
    return LoopbackOnly(Router(routes=routes))

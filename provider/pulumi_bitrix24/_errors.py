"""Bitrix24 error codes (facts §5.4, §6, §7) mapped to exception types with messages that say what to do."""

from __future__ import annotations

from typing import TypeVar

CHAT_APP_ID_ERROR = "CHAT_APP_ID_ERROR"
BOT_ID_ERROR = "BOT_ID_ERROR"
COMMAND_ID_ERROR = "COMMAND_ID_ERROR"
APP_ID_ERROR = "APP_ID_ERROR"
QUERY_LIMIT_EXCEEDED = "QUERY_LIMIT_EXCEEDED"
OPERATION_TIME_LIMIT = "OPERATION_TIME_LIMIT"
EXPIRED_TOKEN = "expired_token"


class Bitrix24Error(Exception):
    """A Bitrix24 REST call failed; `code` is the portal's error code (or a transport condition)."""

    hint = "see the Bitrix24 REST documentation for this error code."

    def __init__(self, method: str, code: str, description: str = "") -> None:
        self.method = method
        self.code = code
        self.description = description
        detail = f" ({description})" if description else ""
        super().__init__(f"Bitrix24 {method} failed with {code}{detail}: {self.hint}")


class AuthError(Bitrix24Error):
    hint = (
        "the portal rejected the credentials. Check bitrix24:webhookUrl (or bitrix24:accessToken) and that "
        "the webhook or app still exists."
    )


class ExpiredTokenError(AuthError):
    hint = (
        "the OAuth access token has expired. Set bitrix24:refreshToken, bitrix24:oauthClientId and "
        "bitrix24:oauthClientSecret so the provider can refresh it, or supply a fresh bitrix24:accessToken."
    )


class ScopeError(AuthError):
    hint = "the webhook or app lacks the `imbot` scope. Add the scope in the portal and run again."


class ClientIdError(AuthError):
    hint = "webhook calls to imbot.* need bitrix24:clientId (or BITRIX24_CLIENT_ID) set."


class OwnershipError(Bitrix24Error):
    hint = (
        "the object belongs to another REST application. Use the same bitrix24:clientId (or OAuth app) that created it."
    )


class NotFoundError(Bitrix24Error):
    hint = (
        "the object does not exist on the portal (deleted outside Pulumi?). Run `pulumi refresh` to drop it "
        "from the stack, then `pulumi up` to create it again."
    )


class InvalidRequestError(Bitrix24Error):
    hint = "the portal refused the values sent. Fix the resource arguments named in the message."


class RateLimitError(Bitrix24Error):
    hint = "the portal's request limit was hit and retries ran out. Run again later or set bitrix24:plan."


class ServerError(Bitrix24Error):
    hint = "the portal failed internally and retries ran out. Run again later."


class TransportError(Bitrix24Error):
    hint = "the portal could not be reached. Check the portal address, the network and TLS trust."


class CertificateError(TransportError):
    """Sending again cannot help: the answer depends on this machine's CA bundle, not on the portal's load."""

    hint = (
        "the portal's TLS certificate is not trusted here, so nothing was sent (not retried). Set REQUESTS_CA_BUNDLE "
        "to a CA bundle that trusts the portal (SSL_CERT_FILE is not read). For the local emulator, that is the "
        "ca_bundle path it prints when it starts."
    )


class HostNotFoundError(TransportError):
    """Sending again cannot help: the portal's host name does not resolve."""

    hint = (
        "the portal's host name does not resolve, so nothing was sent (not retried). Check the host in "
        "bitrix24:webhookUrl or bitrix24:portalUrl (or BITRIX24_WEBHOOK_URL / BITRIX24_PORTAL_URL) and this "
        "machine's DNS."
    )


class NotCreatedError(Bitrix24Error):
    hint = "there is nothing to clean up. Run `pulumi up` again."


class OutcomeUnknownError(Bitrix24Error):
    hint = (
        "run `pulumi up` again. If the portal finished the request after all, the preview then reports the "
        "object as existing: take it over with adopt=True."
    )


class BotIdError(NotFoundError):
    hint = "check the resource's bot_id: use a Bot's bot_id output, or the id of a bot of this application."


class AppGoneError(NotFoundError):
    hint = (
        "no REST method reads chat apps, so `pulumi refresh` cannot see this: recreate the app with "
        "`pulumi up --replace <its URN>` (`pulumi stack --show-urns` lists the URNs)."
    )


class ExistsError(Exception):
    """Create refused: the object is already on the portal and the program did not ask to adopt it."""


class DuplicateError(Exception):
    """Two resources of one run declare the same portal object."""


_TYPES: dict[str, type[Bitrix24Error]] = {
    "NO_AUTH_FOUND": AuthError,
    "INVALID_CREDENTIALS": AuthError,
    "WRONG_AUTH_TYPE": AuthError,
    "user_access_error": AuthError,
    "invalid_token": AuthError,
    EXPIRED_TOKEN: ExpiredTokenError,
    "insufficient_scope": ScopeError,
    "ACCESS_DENIED": ClientIdError,
    APP_ID_ERROR: OwnershipError,
    CHAT_APP_ID_ERROR: NotFoundError,
    BOT_ID_ERROR: NotFoundError,
    COMMAND_ID_ERROR: NotFoundError,
    "BOT_NOT_FOUND": NotFoundError,
    "COMMAND_NOT_FOUND": NotFoundError,
    "BOT_OWNERSHIP_ERROR": OwnershipError,
    QUERY_LIMIT_EXCEEDED: RateLimitError,
    OPERATION_TIME_LIMIT: RateLimitError,
    "OVERLOAD_LIMIT": RateLimitError,
    "INTERNAL_SERVER_ERROR": ServerError,
    "ERROR_UNEXPECTED_ANSWER": ServerError,
    "PORTAL_DELETED": ServerError,
}

REFUSED_CODES = frozenset({QUERY_LIMIT_EXCEEDED, OPERATION_TIME_LIMIT})
"""Limits that refuse a request before it runs: sending it again is always safe."""
SERVER_FAULT_CODES = frozenset({"INTERNAL_SERVER_ERROR", "ERROR_UNEXPECTED_ANSWER"})
"""The portal answered, but the request may have done its work: safe to repeat only when repeating is harmless."""


ErrorType = TypeVar("ErrorType", bound=Bitrix24Error)


def with_detail(exc: ErrorType, description: str) -> ErrorType:
    """The same error (type, method, code) with a description that names what it is about."""
    return type(exc)(exc.method, exc.code, description)


def error_for(method: str, code: str, description: str) -> Bitrix24Error:
    """The typed error for a code; any other code (IFRAME_HTTPS, PARAMS_ERROR, ...) is an invalid request."""
    return _TYPES.get(code, InvalidRequestError)(method, code, description)

"""Bitrix24 error codes mapped to exception types whose messages name the method, the code, the field and what to do.

Codes, from the Bitrix24 REST documentation (github.com/bitrix24/b24restdocs): the system errors of every method
in _includes/system-errors.md (error-codes.md) and limits.md; the imbot.app.* errors in
api-reference/chats/outdated/create-app/imbot-app-register.md, imbot-app-update.md and imbot-app-unregister.md;
the bot and command errors in api-reference/chat-bots/outdated/bots/imbot-register.md and
api-reference/chat-bots/outdated/commands/imbot-command-register.md; OAuth errors in settings/oauth/index.md.
"""

from __future__ import annotations

import re
from typing import TypeVar

CHAT_APP_ID_ERROR = "CHAT_APP_ID_ERROR"
BOT_ID_ERROR = "BOT_ID_ERROR"
COMMAND_ID_ERROR = "COMMAND_ID_ERROR"
APP_ID_ERROR = "APP_ID_ERROR"
QUERY_LIMIT_EXCEEDED = "QUERY_LIMIT_EXCEEDED"
OPERATION_TIME_LIMIT = "OPERATION_TIME_LIMIT"
EXPIRED_TOKEN = "expired_token"


FIELDS = {
    BOT_ID_ERROR: "bot_id",
    "BOT_NOT_FOUND": "bot_id",
    "CODE_ERROR": "code",
    "IFRAME_HTTPS": "iframe",
    "HASH_ERROR": "hash",
    "PARAMS_ERROR": "iframe, or js_method and js_param",
    "LANG_ERROR": "translations",
    "NAME_ERROR": "properties (name or last_name)",
    "EVENT_MESSAGE_ADD_ERROR": "event_message_add (or event_handler)",
    "EVENT_MESSAGE_UPDATE_ERROR": "event_message_update (or event_handler)",
    "EVENT_MESSAGE_DELETE_ERROR": "event_message_delete (or event_handler)",
    "EVENT_WELCOME_MESSAGE_ERROR": "event_welcome_message (or event_handler)",
    "EVENT_BOT_DELETE_ERROR": "event_bot_delete (or event_handler)",
    "COMMAND_ERROR": "command",
    "EVENT_COMMAND_ADD_ERROR": "event_command_add",
    "ERROR_PLACEMENT_NOT_FOUND": "placement",
    "ERROR_WRONG_HANDLER_URL": "handler",
    "ERROR_UNSUPPORTED_PROTOCOL": "handler",
    "EMPTY_ERROR_ICON_NAME": "icon_name",
    "INVALID_ERROR_ICON_NAME": "icon_name",
    "INVALID_ERROR_EXTRANET": "extranet",
    "INVALID_ERROR_CONTEXT": "context",
    "INVALID_ERROR_ROLE": "role",
    "INVALID_ERROR_COLOR": "color",
    "INVALID_ERROR_WIDTH": "width",
    "INVALID_ERROR_HEIGHT": "height",
}
"""The resource argument each field-specific code is about, as the method pages list the codes."""
_SETTING = re.compile(r"bitrix24:(\w+)(?: \(or BITRIX24_\w+\))?")
"""A setting as the hints name it for the single-portal configuration."""
OWN_BOT_METHODS = frozenset({"imbot.update", "imbot.unregister", "imbot.v2.Bot.get"})
"""Methods whose BOT_ID is the Bot resource's own object, not the bot_id argument of an app or a command."""


class Bitrix24Error(Exception):
    """A Bitrix24 REST call failed; `code` is the portal's error code (or a transport condition).

    The message reads `Bitrix24 <method> failed with <code> (<description>): <what to do>`, so its first words
    say which call failed and why; `field` is the resource argument the code is about, where there is one.
    """

    hint = "see the Bitrix24 REST documentation for this error code."
    portal: str | None = None
    """The named portal (bitrix24:portals) the call went to; None for the default portal."""

    def __init__(self, method: str, code: str, description: str = "") -> None:
        self.method = method
        self.code = code
        self.description = description
        self.field = None if method in OWN_BOT_METHODS else FIELDS.get(code)
        super().__init__(self.message())

    def message(self) -> str:
        detail = f" ({self.description})" if self.description else ""
        where = f" on portal {self.portal!r}" if self.portal else ""
        advice = self.advice()
        if self.portal:  # the settings to check are that portal's
            advice = _SETTING.sub(f"bitrix24:portals.{self.portal}.\\1", advice)
        return f"Bitrix24 {self.method}{where} failed with {self.code}{detail}: {advice}"

    def on_portal(self, name: str | None) -> Bitrix24Error:
        """The same error, its message naming the portal it came from (one of several a fleet uses)."""
        if name is not None and self.portal is None:
            self.portal = name
            self.args = (self.message(),)
        return self

    def advice(self) -> str:
        """What to do about it; the class hint unless the code or field says more."""
        return self.hint


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


class AdministratorError(AuthError):
    hint = (
        "placement.bind, unbind and get need the tokens of a portal administrator. Take the OAuth app's tokens in "
        "again with pulumi-bitrix24-tokens while logged in as an administrator (README, 'Messenger widgets')."
    )


class TokenRejectedError(AuthError):
    hint = (
        "the portal does not know the OAuth access token. If another copy of the token store or an old seed in "
        "bitrix24:accessToken was used, its tokens were refreshed elsewhere: store new tokens with "
        "pulumi-bitrix24-tokens (README, 'OAuth and the token store'), and check that the app still exists."
    )


class ImportRefusedError(ValueError):
    """A `pulumi import` that cannot work, said as a message that names the way that does."""


class OwnershipError(Bitrix24Error):
    hint = (
        "the object belongs to another REST application. Use the same bitrix24:clientId (or OAuth app) that created it."
    )


class NotFoundError(Bitrix24Error):
    hint = (
        "the object does not exist on the portal (deleted outside Pulumi?). Run `pulumi refresh` to drop it "
        "from the stack, then `pulumi up` to create it again."
    )

    def advice(self) -> str:
        """A bot named by bot_id may be a plain id that was never right, rather than one the stack deleted."""
        if self.field != "bot_id":
            return self.hint
        return (
            "no bot of this application has that id. Set bot_id to the bot_id of a Bot resource or of an existing "
            "bot; if the bot was deleted outside Pulumi, run `pulumi refresh`, then `pulumi up`."
        )


class InvalidRequestError(Bitrix24Error):
    hint = "the portal refused the values sent. Fix the resource arguments named in the message."

    def advice(self) -> str:
        if self.field is None:
            return self.hint
        return f"the portal refused the value of {self.field}. Fix that argument and run `pulumi up` again."


class RateLimitError(Bitrix24Error):
    hint = "the portal's request limit was hit and retries ran out. Run again later or set bitrix24:plan."


class ServerError(Bitrix24Error):
    hint = "the portal failed internally and retries ran out. Run again later."


class TransportError(Bitrix24Error):
    """No usable answer came: `description` holds the network library's own words, so it goes last."""

    hint = "no usable answer came from the portal. Check the portal address, the network and TLS trust, then run again."

    def message(self) -> str:
        return f"Bitrix24 {self.method} failed: {self.advice()} ({self.code}: {self.description})"


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
    """The same error (type, method, code, portal) with a description that names what it is about."""
    detailed = type(exc)(exc.method, exc.code, description)
    detailed.on_portal(exc.portal)
    return detailed


def error_for(method: str, code: str, description: str) -> Bitrix24Error:
    """The typed error for a code; any other code (IFRAME_HTTPS, PARAMS_ERROR, ...) is an invalid request."""
    if code == "ACCESS_DENIED" and method.startswith("placement."):
        # imbot answers ACCESS_DENIED to a webhook call without CLIENT_ID; placement.* to a non-administrator
        # (api-reference/widgets/placement-bind.md, "Errors").
        return AdministratorError(method, code, description)
    return _TYPES.get(code, InvalidRequestError)(method, code, description)


PORTAL_MOVED = "PORTAL_MOVED"


class PortalMovedError(TransportError):
    """The portal was renamed: its old address answers every request with a redirect to the new one
    (settings/how-to-call-rest-api/change-domen.md). The provider does not follow it, so nothing was sent there:
    following would send the webhook code or token to a host the configuration does not name."""

    hint = (
        "the portal has a new address (it was renamed), and the old one redirects every request there; nothing was "
        "sent to it. Put the new address in bitrix24:webhookUrl in place of the old one (the same webhook: keep "
        "/rest/<user_id>/<code>/), then run again."
    )

    def message(self) -> str:
        """Worded as a portal's answer, so that it names the portal and its settings as those errors do."""
        return Bitrix24Error.message(self)


class OAuthPortalMovedError(PortalMovedError):
    hint = (
        "the portal has a new address (it was renamed), and the old one redirects every request there; nothing was "
        "sent to it. Set bitrix24:portalUrl to the new address and store the app's tokens for it with "
        "pulumi-bitrix24-tokens (the token store keeps them per portal address), then run again."
    )

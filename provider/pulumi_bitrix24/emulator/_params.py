"""Request parameters as PHP sees them: JSON bodies, and form or query fields in bracket notation.

Docs: settings/how-to-call-rest-api/data-encoding.md.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn
from urllib.parse import parse_qsl

from ._methods import ApiError

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
# PHP's default max_input_nesting_level, so form and JSON bodies share one limit; deeper input is refused
# before anything walks it recursively.
MAX_DEPTH = 64


class ParamsError(ApiError):
    """The body or query could not be read as parameters: the INVALID_REQUEST envelope with HTTP 400."""

    def __init__(self, description: str) -> None:
        super().__init__("INVALID_REQUEST", description)


def _too_deep() -> ParamsError:
    return ParamsError(f"parameters are nested deeper than {MAX_DEPTH} levels")


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in value, walked without recursion so that any depth is safe."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        node, level = pending.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is not None:
            deepest = max(deepest, level)
            pending.extend((child, level + 1) for child in children)
    return deepest


def _refuse_constant(name: str) -> NoReturn:
    """NaN and Infinity are not JSON (RFC 8259) and could not be answered back in a JSON response."""
    raise ParamsError(f"malformed JSON: {name} is not a JSON value")


def _insert(target: dict[str, Any], path: list[str], value: str) -> None:
    node: Any = target
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if part == "":
            part = str(len(node))
        if last:
            node[part] = value
        else:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child


def _listify(node: Any) -> Any:
    """PHP arrays with keys 0..n-1 become lists, the way json_encode would show them."""
    if not isinstance(node, dict):
        return node
    items = {k: _listify(v) for k, v in node.items()}
    if items and list(items) == [str(i) for i in range(len(items))]:
        return list(items.values())
    return items


def parse_bracket_pairs(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """`FIELDS[LANG][0][TITLE]=x` pairs -> {"FIELDS": {"LANG": [{"TITLE": "x"}]}}."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            result[key] = value
            continue
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        if len(path) > MAX_DEPTH:
            raise _too_deep()
        _insert(result, path, value)
    return {k: _listify(v) for k, v in result.items()}


def parse_query(text: str) -> dict[str, Any]:
    """Parse a urlencoded query string or form body."""
    try:
        return parse_bracket_pairs(parse_qsl(text, keep_blank_values=True, strict_parsing=False))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParamsError(f"malformed form data: {exc}") from exc


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Decode a request body by its content type; anything but an object is refused."""
    if not body:
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParamsError("body is not UTF-8") from exc
    if "json" in content_type:
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except json.JSONDecodeError as exc:
            raise ParamsError(f"malformed JSON: {exc.msg}") from exc
        except RecursionError as exc:
            raise _too_deep() from exc
        except ValueError as exc:  # e.g. an integer longer than Python's int_max_str_digits
            raise ParamsError(f"malformed JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ParamsError("JSON body must be an object")
        if _depth(data) > MAX_DEPTH:
            raise _too_deep()
        return data
    return parse_query(text)


def upper_keys(params: dict[str, Any]) -> dict[str, Any]:
    """imbot handlers uppercase top-level parameter names only (the im module's CIMRestService; the docs are silent)."""
    return {str(k).upper(): v for k, v in params.items()}


def php_truthy(value: Any) -> bool:
    """A parameter as PHP's `if ($value)` reads it: null, false, 0, 0.0, "", "0" and an empty array are false,
    everything else is true ("N" and "false" too, being non-empty strings)."""
    if isinstance(value, str):
        return value not in ("", "0")
    return bool(value)

"""Request parameters as PHP sees them: JSON bodies, and form or query fields in bracket notation."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


class ParamsError(ValueError):
    """The body could not be read as parameters."""


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
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParamsError(f"malformed JSON: {exc.msg}") from exc
        if not isinstance(data, dict):
            raise ParamsError("JSON body must be an object")
        return data
    return parse_query(text)


def upper_keys(params: dict[str, Any]) -> dict[str, Any]:
    """imbot handlers uppercase top-level parameter names only (facts §1.2)."""
    return {str(k).upper(): v for k, v in params.items()}

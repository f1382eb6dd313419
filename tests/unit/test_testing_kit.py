"""The property paths that the test kit's failure messages name (pulumi_bitrix24.testing)."""

from __future__ import annotations

from pulumi_bitrix24.testing import _differing


def test_nested_and_listed_properties_are_named_by_their_path() -> None:
    old = {"__provider": "a", "code": "x", "properties": {"name": "A", "color": "RED"}, "translations": [{"t": 1}]}
    new = {"__provider": "b", "code": "x", "properties": {"name": "B", "color": "RED"}, "translations": [{"t": 2}]}
    assert _differing(old, new) == ["properties.name", "translations[0].t"]


def test_added_removed_and_resized_values_name_the_property_itself() -> None:
    assert _differing({"a": [1]}, {"a": [1, 2], "b": 3}) == ["a", "b"]
    assert _differing({"a": {"x": 1}}, {"a": {"x": 1}}) == []

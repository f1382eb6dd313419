"""The toolchain itself: the pinned CLI and its Python host run a dynamic resource end to end."""

from __future__ import annotations

from pathlib import Path

from .conftest import ProjectFactory

PROVIDER_MODULE = """
import pulumi.dynamic as dynamic


class CounterProvider(dynamic.ResourceProvider):
    def create(self, props):
        return dynamic.CreateResult("counter-1", {**props, "doubled": props["value"] * 2})


class Counter(dynamic.Resource):
    def __init__(self, name, value):
        super().__init__(CounterProvider(), name, {"value": value, "doubled": None})
"""

PROGRAM = """
import pulumi
from counter import Counter

counter = Counter("counter", 21)
pulumi.export("doubled", counter.doubled)
"""


def test_dynamic_resource_lifecycle_through_the_real_engine(new_project: ProjectFactory, pulumi_bin: Path) -> None:
    project = new_project(configure=False)
    assert project.cli("version").stdout.strip() == "v3.274.1"
    (project.root / "counter.py").write_text(PROVIDER_MODULE)
    project.program(PROGRAM)

    assert project.preview().changes() == {"create": 2}

    project.up()
    assert project.outputs() == {"doubled": 42}

    assert project.up().changes() == {"same": 2}

    project.destroy()
    assert project.resources() == []

"""The interpreter Pulumi starts the dynamic provider with: this one, unless the user named one."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pulumi_bitrix24 import _interpreter


def test_importing_the_package_names_this_interpreter() -> None:
    script = "import os, pulumi_bitrix24; print(os.environ['PULUMI_PYTHON_CMD'])"
    env = {"PATH": "/usr/bin:/bin"}  # no PULUMI_PYTHON_CMD, no virtualenv on PATH
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == sys.executable


def test_a_users_choice_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_PYTHON_CMD", "/opt/python/bin/python3")
    _interpreter.share_interpreter()
    assert _interpreter.os.environ["PULUMI_PYTHON_CMD"] == "/opt/python/bin/python3"
    monkeypatch.delenv("PULUMI_PYTHON_CMD")
    _interpreter.share_interpreter()
    assert _interpreter.os.environ["PULUMI_PYTHON_CMD"] == sys.executable

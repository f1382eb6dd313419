"""Pulumi starts this package's dynamic provider with the Python that runs the program, inline programs included.

The engine starts every Python dynamic provider through the `pulumi-resource-pulumi-python` script, which runs
`$PULUMI_RUNTIME_VIRTUALENV/bin/python` when the project's Pulumi.yaml names a virtualenv and
`${PULUMI_PYTHON_CMD:-python3}` otherwise (sdk/python/dist/pulumi-resource-pulumi-python in pulumi/pulumi). An
Automation API inline program (`program=`) has no Pulumi.yaml, so a script run with a virtualenv's python that is
not activated had its provider started by whichever `python3` is first on PATH, one without pulumi
(`No module named 'pulumi'`). The engine is a child of the script and inherits its environment when `up()` starts
it, so the package sets PULUMI_PYTHON_CMD to its own interpreter when it is imported, unless it is set already.
"""

from __future__ import annotations

import os
import sys

PYTHON_CMD = "PULUMI_PYTHON_CMD"


def share_interpreter() -> None:
    """Have Pulumi start dynamic providers with this interpreter, where nothing else names one."""
    if sys.executable and not os.environ.get(PYTHON_CMD):
        os.environ[PYTHON_CMD] = sys.executable

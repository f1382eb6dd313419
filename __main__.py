"""The root project's program: the quickstart example (examples/quickstart/__main__.py)."""

import runpy

runpy.run_path("examples/quickstart/__main__.py", run_name="__main__")

.PHONY: test demo

# Runs everything on a fresh machine: venv, package, Pulumi CLI, lint, types, tests.
test:
	scripts/test

# The main job: `pulumi up` of the quickstart against the emulator (or a real portal when configured).
demo:
	scripts/demo

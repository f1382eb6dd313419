"""`pulumi up` driven from Python (Pulumi's Automation API): `python up.py STACK` runs the program inline,
`python up.py STACK --local` runs this folder as a Pulumi project. Prints the stack's outputs as JSON."""

import json
import sys
from pathlib import Path

from pulumi import automation as auto
from support_bot import program  # imports pulumi_bitrix24 before stack.up(), see the README

# The portal: BITRIX24_WEBHOOK_URL and BITRIX24_CLIENT_ID in the environment (never recorded in the stack), or
# stack.set_config("bitrix24:webhookUrl", auto.ConfigValue(url, secret=True)) and the other keys of the README.
stack_name, local = sys.argv[1], "--local" in sys.argv[2:]
if local:  # the program and its virtualenv are named by Pulumi.yaml in work_dir
    stack = auto.create_or_select_stack(stack_name=stack_name, work_dir=str(Path(__file__).parent))
else:  # no Pulumi.yaml: the program is a function of this script
    stack = auto.create_or_select_stack(stack_name=stack_name, project_name="bitrix24-bots", program=program)
result = stack.up(on_output=print)
print(json.dumps({name: output.value for name, output in result.outputs.items()}))

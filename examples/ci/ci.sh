#!/usr/bin/env bash
# The steps of bitrix24.yml, one per command: `ci.sh test|preview|up|drift`, run in the Pulumi project folder
# $PROJECT_DIR (default: the current folder) on the stack $STACK (default: prod). The backend, the passphrase and
# the portal (BITRIX24_WEBHOOK_URL, BITRIX24_CLIENT_ID) come from the environment, that is from the CI's secrets.
set -euo pipefail
cd "${PROJECT_DIR:-.}"
stack="${STACK:-prod}"
pulumi=(pulumi --non-interactive --stack "$stack")

case "${1:-}" in
  test)     # the program's own tests, against the emulator that pulumi_bitrix24.testing starts
    exec python -m pytest -q "${TESTS:-.}" ;;
  preview)  # what a pull request would change on the portal
    pulumi stack select --create "$stack" --non-interactive
    exec "${pulumi[@]}" preview --diff ;;
  up)
    pulumi stack select --create "$stack" --non-interactive
    exec "${pulumi[@]}" up --yes --diff ;;
  drift)    # fails when the portal no longer holds what the program declares; the diff names the resource
    if ! "${pulumi[@]}" preview --refresh --expect-no-changes --diff; then
      echo "::error title=Bitrix24 drift::the portal differs from stack $stack (see the resources in the diff above)"
      exit 1
    fi ;;
  *)
    echo "usage: ci.sh test|preview|up|drift" >&2
    exit 2 ;;
esac

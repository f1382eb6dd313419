"""This folder as a Pulumi project (Pulumi.yaml beside it): the local program of `up.py STACK --local`."""

from support_bot import program

program()

"""Benchmark helper: sum py-spy's collapsed stacks (bench/profile_up.py) by function, to see where time goes.

Run: .venv/bin/python bench/stacks.py profiles/create.txt [--match pulumi_bitrix24] [--top 40]

Prints, per function, the share of samples in which it is on the stack (inclusive) and on top (self), for the
stacks that contain --match (all by default): which process, thread and call path the samples belong to.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stacks", type=Path)
    parser.add_argument("--match", default="")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = matched = 0
    for line in args.stacks.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        if args.match not in stack:
            continue
        matched += samples
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += samples
        own[frames[-1]] += samples
    print(f"{matched} of {total} samples match {args.match!r}")
    for frame, samples in inclusive.most_common(args.top):
        print(f"{100 * samples / max(matched, 1):6.1f}% incl {100 * own[frame] / max(matched, 1):6.1f}% self  {frame}")


if __name__ == "__main__":
    main()

"""Where the time went: ``python -m bench.spy FILE…`` reads py-spy's collapsed stacks
(``--format raw``, as ``bench.edges --profile`` writes them) and prints the share of samples
under each of the frames that name our code, bolt, slack_sdk, aiohttp or the loop."""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>[^ ]+) \((?P<file>[^:]+)(?::\d+)?\)$")


def shares(paths: list[Path], top: int = 30) -> list[tuple[str, float]]:
    """(frame, share of all samples with that frame on the stack), biggest first."""
    inclusive: Counter[str] = Counter()
    total = 0
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            total += int(count)
            seen = set()
            for frame in stack.split(";"):
                match = FRAME.match(frame.strip())
                name = frame.strip()
                if match:
                    file = match["file"]
                    short = "/".join(file.split("/")[-2:])
                    name = f"{match['func']} ({short})"
                if name not in seen:
                    seen.add(name)
                    inclusive[name] += int(count)
    return [(name, n / max(total, 1)) for name, n in inclusive.most_common(top)]


def main() -> None:
    for name, share in shares([Path(p) for p in sys.argv[1:]], top=40):
        print(f"{share * 100:5.1f} %  {name}")


if __name__ == "__main__":
    main()

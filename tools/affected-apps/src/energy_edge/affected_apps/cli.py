"""Command line of affected-apps (arriving with the delivery issue)."""

import sys


def main() -> int:
    sys.stderr.write("affected-apps: not built yet\n")
    return 2

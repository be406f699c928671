"""Print which installed dependencies differ from constraints.txt, the set the suite last passed with.

CI installs the newest versions pyproject.toml allows, as a user's fresh `pip install` does; when such a run fails,
these lines name what moved since the last green run (docs/dependencies.md).
"""
from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name


def pinned(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        requirement = line.split("#", 1)[0].strip()
        if "==" in requirement:
            name, version = requirement.split("==", 1)
            found[canonicalize_name(name)] = version.strip()
    return found


def main() -> int:
    lock = pinned(Path(__file__).resolve().parent.parent / "constraints.txt")
    installed = {canonicalize_name(dist.metadata["Name"]): dist.version for dist in metadata.distributions()}
    moved = [f"  {name} {installed[name]} (constraints.txt: {version})"
             for name, version in sorted(lock.items()) if name in installed and installed[name] != version]
    missing = [f"  {name} not installed (constraints.txt: {version})" for name, version in sorted(lock.items())
               if name not in installed]
    if moved or missing:
        print(f"dependencies not as in constraints.txt ({len(moved) + len(missing)}); if the tests fail, "
              "look here first:", *moved, *missing, sep="\n")
    else:
        print(f"dependencies as in constraints.txt ({len(lock)} pinned)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

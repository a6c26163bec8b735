"""Import every module of oauthcore first, each in a fresh process: ``python -m tests.import_each``.

Each module gets what ``python -c "import django; django.setup(); import MODULE"`` gives it: the
parent runs ``django.setup()`` (the same in every process) and imports nothing else; a forked child
then imports the one module. ``--without drf_spectacular`` hides that package, as if it were not
installed. Prints one JSON object: module name -> the traceback, for each module that failed.
"""

from __future__ import annotations

import argparse
import json
import os
import pkgutil
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def module_names() -> list[str]:
    """Return every module under oauthcore/, found by walking the files (nothing is imported)."""
    package = ROOT / "oauthcore"
    names = ["oauthcore"]
    for info in pkgutil.walk_packages([str(package)], prefix="oauthcore."):
        names.append(info.name)
    return sorted(names)


def import_first(name: str) -> str | None:
    """Import ``name`` in a forked child of this set-up process; return its error, if any."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        error = ""
        try:
            __import__(name)
        except BaseException:
            error = traceback.format_exc()
        os.write(write, error.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        error = pipe.read().decode()
    os.waitpid(pid, 0)
    return error or None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--without", action="append", default=[], metavar="PACKAGE")
    args = parser.parse_args()
    skipped = {"oauthcore.contrib.drf_spectacular"} if "drf_spectacular" in args.without else set()
    for package in args.without:
        sys.modules[package] = None  # "not installed": import fails, find_spec is None
    import django

    django.setup()
    failures = {}
    for name in module_names():
        if name not in skipped and (error := import_first(name)):
            failures[name] = error
    print(json.dumps(failures))


if __name__ == "__main__":
    main()

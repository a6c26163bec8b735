"""Run every benchmark (``make bench``). For now: the resource server."""

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    runpy.run_path(str(HERE / "resource_server.py"), run_name="__main__")

"""Every benchmark under bench/ can start: its imports resolve (a bench is run by hand, so nothing else would notice
that a helper it imports moved). One fresh interpreter loads them all, as modules, not as scripts: no benchmark
runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"

LOAD_ALL = """
import importlib.util, sys, traceback
from pathlib import Path
failed = []
for path in sorted(Path(sys.argv[1]).glob("*.py")):
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an import would (dataclasses look their module up)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        failed.append(f"{path.name}: {traceback.format_exc(limit=2)}")
print("\\n".join(failed))
"""


def test_every_benchmark_loads() -> None:
    scripts = sorted(BENCH.glob("*.py"))
    assert len(scripts) >= 10
    done = subprocess.run([sys.executable, "-c", LOAD_ALL, str(BENCH)], capture_output=True, text=True,
                          timeout=300, cwd=BENCH.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", done.stdout

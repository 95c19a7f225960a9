"""Run every benchmark module (or those named on the command line) and write bench/results/."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
RESULTS = HERE / "results"


def main(names: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "respite.settings")
    sys.path.insert(0, str(HERE.parent / "src"))
    modules = names or sorted(p.stem for p in HERE.glob("bench_*.py"))
    RESULTS.mkdir(exist_ok=True)
    summary = []
    for name in modules:
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        result = module.run()
        result.setdefault("benchmark", name)
        result["seconds"] = round(time.perf_counter() - started, 1)
        result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
        result["at"] = datetime.now(UTC).isoformat(timespec="seconds")
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2))
        summary.append(result)
        print(f"{name}: done in {result['seconds']} s")
    # latest.md holds every module's latest results (a run of some modules keeps the others'),
    # each with the time it was measured.
    ran = {r["benchmark"] for r in summary}
    everything = {r["benchmark"]: r for r in summary}
    for path in sorted(RESULTS.glob("bench_*.json")):
        if path.stem not in ran:
            with contextlib.suppress(ValueError, OSError):
                everything[path.stem] = json.loads(path.read_text())
    lines = [
        "# Benchmark results",
        "",
        f"Written at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs; each section "
        "says when it was measured.",
        "",
    ]
    for name in sorted(everything):
        result = everything[name]
        lines.append(f"## {name}")
        lines.append("")
        lines.append(f"Measured at {result.get('at', '?')}.")
        lines.append("")
        lines.extend(result.get("markdown", ["(no table)"]))
        lines.append("")
    (RESULTS / "latest.md").write_text("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

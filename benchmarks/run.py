#!/usr/bin/env python
"""Run every benchmarks/bench_*.py and report (`make bench`).

Each script prints one JSON object per line, {"name", "ratio", "goal", "detail"}: `ratio` is the product's figure
over a bare baseline measured in the same run (higher is better), `goal` the least acceptable ratio. This runner
re-prints every result line, then exits non-zero when a ratio misses its goal, a script fails, or a script prints
no result. Run one script by naming it: `benchmarks/run.py bench_register`.
"""

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIELDS = {"name", "ratio", "goal", "detail"}


def results_of(output: str) -> list[dict]:
    results = []
    for line in output.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and FIELDS <= value.keys():
            results.append(value)
    return results


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if s.stem in argv or s.name in argv]
    if not scripts:
        print("no benchmark scripts found", file=sys.stderr)
        return 2
    failures = []
    for script in scripts:
        # Progress and errors of the script go to stderr; only result lines reach stdout.
        process = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, stdout=subprocess.PIPE, text=True)
        results = results_of(process.stdout)
        for result in results:
            print(json.dumps(result), flush=True)
            if not result["ratio"] >= result["goal"]:
                failures.append(f"{result['name']}: ratio {result['ratio']} below goal {result['goal']}")
        if process.returncode != 0:
            failures.append(f"{script.name} exited with code {process.returncode}")
        if not results:
            failures.append(f"{script.name} printed no result")
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""benchmarks/run.py (`make bench`): re-prints each script's result lines and fails on a missed goal or a broken
script. Driven here with small stand-in scripts; the real benchmarks never run in `make test`."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

RUNNER = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


def run(tmp_path, scripts: dict, *args):
    shutil.copy(RUNNER, tmp_path / "run.py")
    for name, code in scripts.items():
        (tmp_path / name).write_text(code)
    result = subprocess.run([sys.executable, str(tmp_path / "run.py"), *args], capture_output=True, text=True,
                            timeout=60)
    return result.returncode, [json.loads(line) for line in result.stdout.splitlines()], result.stderr


def line(name, ratio, goal):
    return f"import json\nprint('progress noise')\nprint(json.dumps({{'name': {name!r}, 'ratio': {ratio}, " \
           f"'goal': {goal}, 'detail': {{'n': 1}}}}))\n"


def test_all_goals_met_exits_zero_and_prints_one_json_line_per_result(tmp_path):
    code, lines, _ = run(tmp_path, {"bench_a.py": line("a", 2.0, 1.0), "bench_b.py": line("b", 0.3, 0.2)})
    assert code == 0
    assert lines == [{"name": "a", "ratio": 2.0, "goal": 1.0, "detail": {"n": 1}},
                     {"name": "b", "ratio": 0.3, "goal": 0.2, "detail": {"n": 1}}]


def test_a_missed_goal_fails_the_run(tmp_path):
    code, lines, stderr = run(tmp_path, {"bench_a.py": line("a", 2.0, 1.0), "bench_b.py": line("b", 0.1, 0.2)})
    assert code == 1
    assert [r["name"] for r in lines] == ["a", "b"]
    assert "b: ratio 0.1 below goal 0.2" in stderr


def test_a_crashing_or_silent_script_fails_the_run(tmp_path):
    code, lines, stderr = run(tmp_path, {"bench_a.py": line("a", 2.0, 1.0), "bench_c.py": "raise SystemExit(3)\n"})
    assert code == 1 and len(lines) == 1
    assert "bench_c.py exited with code 3" in stderr and "bench_c.py printed no result" in stderr


def test_one_script_by_name(tmp_path):
    code, lines, _ = run(tmp_path, {"bench_a.py": line("a", 2.0, 1.0), "bench_b.py": line("b", 0.1, 0.2)}, "bench_a")
    assert code == 0 and [r["name"] for r in lines] == ["a"]

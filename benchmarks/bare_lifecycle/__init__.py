"""A bench-only Django app: the lifecycle's nodes as a bare Viewflow flow (benchmarks/bench_lifecycle.py)."""

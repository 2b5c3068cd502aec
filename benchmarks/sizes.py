#!/usr/bin/env python
"""Rows and bytes per row of every table that grows with the register (README, "Scaling out").

Not a benchmark (no ratio, not run by `make bench`): seeds a throwaway database (BENCH_DATABASE_URL, default
.../intese_bench_sizes) with benchmarks/seed.py (`--agreements`, `--processes` real Viewflow procedures), runs the
daily reminder scan over the last `--days` days (reminders, their e-mails, audit events), rebuilds the search
index, then prints one JSON line per table: rows, pg_total_relation_size (heap, TOAST and indexes) and bytes per
row, largest first. Bytes per row of a small seeded table are inflated by page granularity: read the large ones.
"""

import argparse
import datetime
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/intese_bench_sizes")
from benchdb import bench_database  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agreements", type=int, default=5_000)
    parser.add_argument("--processes", type=int, default=120)
    parser.add_argument("--days", type=int, default=60)
    args = parser.parse_args(argv)
    with bench_database():
        from django.db import connection
        from seed import populate

        from agreements.common import dates
        from agreements.reminders.services import scan_due
        from agreements.search.services import search_reindex_all

        populate(args.agreements, processes=args.processes)
        today = dates.today()
        for back in range(args.days, -1, -1):
            scan_due(today=today - datetime.timedelta(days=back))
        search_reindex_all()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("""
                SELECT c.relname, pg_total_relation_size(c.oid), pg_relation_size(c.oid),
                       pg_indexes_size(c.oid)
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY 2 DESC""")
            tables = cursor.fetchall()
            for name, total, heap, indexes in tables:
                cursor.execute(f'SELECT count(*) FROM "{name}"')
                rows = cursor.fetchone()[0]
                if not rows:
                    continue
                print(json.dumps({"table": name, "rows": rows, "total_bytes": total, "heap_bytes": heap,
                                  "index_bytes": indexes, "bytes_per_row": round(total / rows),
                                  "per_agreement": round(rows / args.agreements, 3)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

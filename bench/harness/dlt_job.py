"""One dlt run of the benchmark: the users table merged into PostgreSQL by dlt.

Runs inside the throwaway dlt venv (bench/.dlt-venv), never in Syncline's:
`sql_database` source with the pyarrow backend, `write_disposition="merge"`
with primary key `id`, destination postgres; with `--incremental COLUMN` the
resource also gets `dlt.sources.incremental(COLUMN)`. Prints one JSON line
with the rows dlt normalized and loaded.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import dlt
from dlt.sources.sql_database import sql_database


def main() -> None:
    """Parse the arguments and run the pipeline once."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source-url", required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--destination-url", required=True)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--pipelines-dir", required=True)
    parser.add_argument("--incremental", default=None)
    parser.add_argument("--loader-file-format", default=None)
    args = parser.parse_args()

    source = sql_database(
        credentials=args.source_url,
        schema=args.schema,
        table_names=[args.table],
        backend="pyarrow",
        reflection_level="full_with_precision",
    )
    hints: dict[str, Any] = {"write_disposition": "merge", "primary_key": "id"}
    if args.incremental:
        hints["incremental"] = dlt.sources.incremental(args.incremental)
    source.resources[args.table].apply_hints(**hints)
    pipeline = dlt.pipeline(
        pipeline_name="syncline_bench",
        pipelines_dir=args.pipelines_dir,
        destination=dlt.destinations.postgres(credentials=args.destination_url),
        dataset_name=args.dataset,
    )
    info = pipeline.run(source, loader_file_format=args.loader_file_format)
    info.raise_on_failed_jobs()
    trace = pipeline.last_trace
    normalized = trace.last_normalize_info.row_counts if trace.last_normalize_info else {}
    print(json.dumps({"rows": normalized.get(args.table, 0), "dlt": dlt.__version__}))


if __name__ == "__main__":
    main()

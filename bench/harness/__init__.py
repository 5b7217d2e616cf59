"""The model-sync benchmark harness behind `bench/run.py`.

Modules: `common` (names, processes, memory), `data` (the generated users
table, its 1% changes, target tables and result checks), `baselines` (psql
COPY and MariaDB LOAD DATA pipes), `server` (Syncline driven through its
HTTP API), `dlt_runner` (dlt in a throwaway venv; `dlt_job` runs inside it)
and `report` (machine description and the Markdown table).
"""

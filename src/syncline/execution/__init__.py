"""Executors: where an execution runs. What a run does is `services.runs.run_execution`."""

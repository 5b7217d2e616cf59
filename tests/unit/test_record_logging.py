"""Record logs: batches land in order as Parquet parts, render as JSON Lines, and a
failing or full disk never stalls a run, shows a broken part or leaves a file behind."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from syncline.services.full_disk import mount_point, no_space_message
from syncline.services.record_logging import QUEUED, RecordLogPipe, download, render
from syncline.store import record_logs
from syncline.store.record_logs import RecordLogWriter, count_records, log_parts


def _batch(start: int, size: int) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict({"id": list(range(start, start + size))})


def test_batches_are_kept_in_order_and_rendered_as_json_lines(tmp_path: Path) -> None:
    pipe = RecordLogPipe(RecordLogWriter(tmp_path, "run-1"))
    for n in range(20):
        kind = "inserts" if n % 2 else "updates"
        ids = [str(i) for i in range(n * 10, n * 10 + 10)]
        pipe.put(kind, _batch(n * 10, 10), ids, ["why"] * 10 if n == 3 else [None] * 10)

    assert pipe.close() is None

    assert count_records(tmp_path, "run-1", "inserts") == 100
    assert count_records(tmp_path, "run-1", "records") == 200
    inserts = render(tmp_path, "run-1", "inserts")
    assert inserts is not None
    lines = [json.loads(line) for line in inserts.read_text().splitlines()]
    expected = [i for n in range(1, 20, 2) for i in range(n * 10, n * 10 + 10)]
    assert [line["record"]["id"] for line in lines] == expected
    assert lines[0] == {"identity": "10", "record": {"id": 10}}
    everything = render(tmp_path, "run-1", "records")
    assert everything is not None
    records = [json.loads(line) for line in everything.read_text().splitlines()]
    assert sorted(r["record"]["id"] for r in records) == list(range(200))
    assert {r.get("message") for r in records} == {None, "why"}
    assert render(tmp_path, "run-1", "deletes") is None


def test_a_long_log_is_split_into_parts_readable_while_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(record_logs, "ROWS_PER_PART", 25)
    writer = RecordLogWriter(tmp_path, "run-3")
    for n in range(10):
        writer.append("inserts", _log(n * 10, 10))
    # Three parts complete (25+ rows each), the fourth still being written.
    assert len(log_parts(tmp_path, "run-3", "inserts")) == 3
    first = render(tmp_path, "run-3", "inserts")
    assert first is not None
    assert len(first.read_text().splitlines()) == 90
    writer.close()
    again = render(tmp_path, "run-3", "inserts")
    assert again is not None
    assert len(again.read_text().splitlines()) == 100


def _log(start: int, size: int) -> pa.RecordBatch:
    values = _batch(start, size)
    record = pa.StructArray.from_arrays(values.columns, fields=list(values.schema))
    identities = pa.array([str(i) for i in range(start, start + size)])
    messages = pa.nulls(size, pa.string())
    return pa.RecordBatch.from_arrays(
        [identities, messages, record], names=["identity", "message", "record"]
    )


def test_a_failing_log_is_reported_and_never_blocks_the_engine(tmp_path: Path) -> None:
    blocked = tmp_path / "executions"
    blocked.write_text("a file where the log folder should be")
    pipe = RecordLogPipe(RecordLogWriter(tmp_path, "run-2"))
    for n in range(QUEUED * 5):  # far more than the queue holds
        pipe.put("inserts", _batch(n, 1), [str(n)], [None])

    problem = pipe.close()

    assert problem is not None
    assert problem.startswith("record logs are incomplete")


def test_a_part_that_meets_a_full_disk_is_deleted_never_shown(tmp_path: Path) -> None:
    # The part's file is /dev/full, so its writes fail as on a full disk (ENOSPC).
    directory = tmp_path / "executions" / "run-4"
    directory.mkdir(parents=True)
    (directory / ".inserts-000001.parquet.tmp").symlink_to("/dev/full")
    writer = RecordLogWriter(tmp_path, "run-4")

    with pytest.raises(OSError, match="No space left on device") as raised:
        writer.append("inserts", _log(0, 10))
    writer.close()

    assert raised.value.errno == errno.ENOSPC
    assert log_parts(tmp_path, "run-4", "records") == []
    assert list(directory.iterdir()) == []  # no truncated part, no temporary file


def test_a_full_disk_stops_the_logger_and_names_the_file_system(tmp_path: Path) -> None:
    directory = tmp_path / "executions" / "run-5"
    directory.mkdir(parents=True)
    (directory / ".errors-000001.parquet.tmp").symlink_to("/dev/full")
    pipe = RecordLogPipe(RecordLogWriter(tmp_path, "run-5"))
    pipe.put("inserts", _batch(0, 5), [str(i) for i in range(5)], [None] * 5)
    pipe.put("errors", _batch(5, 1), ["5"], ["refused"])

    problem = pipe.close()

    assert pipe.full == no_space_message(directory)
    assert pipe.full.startswith(f"no space left on {mount_point(directory)}")
    assert str(directory) in pipe.full
    assert problem == f"record logs are incomplete: {pipe.full}"
    # What was written before the disk filled up is whole and readable.
    assert count_records(tmp_path, "run-5", "inserts") == 5
    assert [p.name for p in directory.iterdir()] == ["inserts-000001.parquet"]


def test_unreadable_parts_and_row_groups_are_left_out_of_counts_and_downloads(
    tmp_path: Path,
) -> None:
    writer = RecordLogWriter(tmp_path, "run-6")
    for n in range(3):  # one row group per batch
        writer.append("inserts", _log(n * 1000, 1000))
    writer.append("errors", _log(5000, 7))
    writer.close()
    [inserts] = log_parts(tmp_path, "run-6", "inserts")
    [errors] = log_parts(tmp_path, "run-6", "errors")
    # A part cut short, as a full disk left them before parts were checked.
    errors.write_bytes(errors.read_bytes()[: errors.stat().st_size // 2])
    # A part whose first row group is garbage, though its footer reads.
    metadata = pq.read_metadata(inserts)
    first = metadata.row_group(0).column(0)
    data = bytearray(inserts.read_bytes())
    start = first.data_page_offset
    data[start : start + first.total_compressed_size] = b"\xff" * first.total_compressed_size
    inserts.write_bytes(bytes(data))

    assert count_records(tmp_path, "run-6", "errors") == 0
    found = download(tmp_path, "run-6", "records")
    assert isinstance(found, Path)
    ids = [json.loads(line)["record"]["id"] for line in found.read_text().splitlines()]
    assert ids == list(range(1000, 3000))


def test_a_download_whose_file_cannot_be_written_streams_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    writer = RecordLogWriter(tmp_path, "run-7")
    for n in range(20):
        writer.append("inserts", _log(n * 1000, 1000))
    writer.close()
    directory = tmp_path / "executions" / "run-7"
    parts = sorted(p.name for p in directory.iterdir())
    # The rendered file (about 500 kB) outgrows the file size limit the child runs
    # under, as a download does on a nearly full disk; the parts are read, not written.
    child = subprocess.run(
        [sys.executable, "-c", _DOWNLOAD_UNDER_LIMIT, str(tmp_path), "run-7", str(256 * 1024)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert child.returncode == 0, child.stderr
    assert json.loads(child.stdout) == {"streamed": True, "lines": 20_000, "last": 19_999}
    assert sorted(p.name for p in directory.iterdir()) == parts


_DOWNLOAD_UNDER_LIMIT = """
import json, resource, signal, sys
from pathlib import Path
from syncline.services.record_logging import download

limit = int(sys.argv[3])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
found = download(Path(sys.argv[1]), sys.argv[2], "inserts")
lines = b"".join(bytes(chunk) for chunk in found).splitlines()
print(json.dumps({
    "streamed": not isinstance(found, Path),
    "lines": len(lines),
    "last": json.loads(lines[-1])["record"]["id"],
}))
"""

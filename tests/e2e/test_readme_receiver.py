"""The README's ten-line webhook receiver, run as written, verifies what Syncline sends."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from syncline.connectors.webhook import WebhookConfig, WebhookConnector
from syncline.engine.run import run_sync
from tests.engine.memory import MemorySource, RecordingHooks
from tests.engine.support import PEOPLE, make_spec, people
from tests.receivers import wait_for

README = Path(__file__).resolve().parents[2] / "README.md"
SECRET = "whsec_cmVhZG1lLXJlY2VpdmVyLXNlY3JldC0xMjM0NTY3OA=="

pytestmark = pytest.mark.e2e


def readme_receiver() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
    [receiver] = [block for block in blocks if "standardwebhooks" in block]
    return receiver


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_readme_receiver_verifies_and_counts_the_records(tmp_path: Path) -> None:
    code = readme_receiver()
    assert len(code.strip().splitlines()) <= 16
    port = free_port()
    code = code.replace('"whsec_..."', repr(SECRET)).replace("9000", str(port))
    output = tmp_path / "receiver.out"
    with output.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-u", "-c", code], stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        wait_for(lambda: _listening(port))
        target = WebhookConnector(
            WebhookConfig.model_validate({"url": f"http://127.0.0.1:{port}/", "secret": SECRET})
        )
        spec = make_spec(
            tmp_path / "state",
            target_object="http",
            batch_size=1000,
            target_configuration={"batch_size": 10},
        )
        counts = run_sync(
            spec, MemorySource(PEOPLE, people(*range(1, 26))), target, RecordingHooks()
        )
        assert counts.insert == 25
        wait_for(lambda: output.read_text().count("records, message") == 3)
        lines = output.read_text().splitlines()
        sizes = sorted(int(line.split()[0]) for line in lines if "records, message" in line)
        assert sizes == [5, 10, 10]
        assert "Error" not in output.read_text()
    finally:
        process.terminate()
        process.wait(timeout=30)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0

"""`scripts/provision_services.sh node` installs Debian's nodejs and npm, whichever
command is missing, so CI machines get what the TypeScript SDK test needs.

The script runs with a PATH holding only a stand-in `apt-get` that records its
arguments and, on install, puts the installed commands on that PATH.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "provision_services.sh"

APT_GET = """#!/bin/bash
echo "$*" >> "{log}"
if [[ "$1" == install ]]; then
    for package in "$@"; do
        case "$package" in
            nodejs) printf '#!/bin/bash\\n' > "{bin}/node"; /bin/chmod +x "{bin}/node" ;;
            npm) printf '#!/bin/bash\\n' > "{bin}/npm"; /bin/chmod +x "{bin}/npm" ;;
        esac
    done
fi
"""


def _provision(tmp_path: Path, present: tuple[str, ...]) -> tuple[int, list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt-get.log"
    log.touch()
    apt_get = bin_dir / "apt-get"
    apt_get.write_text(APT_GET.format(log=log, bin=bin_dir))
    apt_get.chmod(0o755)
    for command in present:
        (bin_dir / command).write_text("#!/bin/bash\n")
        (bin_dir / command).chmod(0o755)
    done = subprocess.run(
        ["/bin/bash", str(SCRIPT), "node"],
        env={"PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, log.read_text().splitlines()


@pytest.mark.parametrize(
    ("present", "installed"),
    [((), "nodejs npm"), (("node",), "npm"), (("npm",), "nodejs")],
)
def test_the_missing_commands_are_installed_from_debian(
    tmp_path: Path, present: tuple[str, ...], installed: str
) -> None:
    status, calls = _provision(tmp_path, present)
    assert status == 0
    assert calls == ["update -qq", f"install -y -qq {installed}"]
    assert (tmp_path / "bin" / "node").exists()
    assert (tmp_path / "bin" / "npm").exists()


def test_nothing_is_installed_when_both_are_there(tmp_path: Path) -> None:
    status, calls = _provision(tmp_path, ("node", "npm"))
    assert status == 0
    assert calls == []

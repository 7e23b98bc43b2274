"""`gateway demo` end to end: the real API, store, simulator and delivery in a subprocess."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = "import sys; from gateway.cli import main; sys.exit(main(sys.argv[1:]))"


def test_demo_delivers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, "demo", "--port", "0", "--data", str(data), "--duration", "8"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Bearer demo-operator" in done.stdout
    assert "portal simulator:  http://127.0.0.1:" in done.stdout
    final = re.search(r"stopped\. accepted (\d+), delivered (\d+)", done.stdout)
    assert final is not None, done.stdout
    accepted, delivered = int(final.group(1)), int(final.group(2))
    assert accepted >= 1
    assert delivered >= 1
    assert (data / "outbox.db").is_file()
    assert (data / "pki").is_dir()

"""The package as it was at a commit, for benchmarks that time before and after in the same run: `git archive` of
`ollama_chat/` extracted into a folder, which the caller puts first on PYTHONPATH."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def package_at(rev: str, folder: Path) -> Path | None:
    """`folder`, holding `ollama_chat/` as of `rev`; None when git cannot give it (no git, not a clone, no such
    commit)."""
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "ollama_chat"], capture_output=True)
    except OSError:
        return None
    if archive.returncode != 0:
        return None
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        if sys.version_info >= (3, 12):
            tar.extractall(folder, filter="data")
        else:
            tar.extractall(folder)
    return folder

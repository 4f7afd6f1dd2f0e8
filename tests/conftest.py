import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ecg_nb.data import EXCERPT_DIR

ECG_NB = Path(sys.executable).parent/'ecg_nb'  # the installed console script of this environment


def run_cli(*args, cwd=None, env=None):
    "Run the `ecg_nb` command; return the completed process (text stdout/stderr)."
    return subprocess.run([str(ECG_NB), *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=600)


def assert_one_line_error(proc, *fragments):
    "Exit status 1 and one line on stderr (no traceback) that holds every fragment."
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and 'Traceback' not in proc.stderr, proc.stderr
    for fragment in fragments: assert fragment in lines[0], lines[0]


@pytest.fixture
def excerpt_copy(tmp_path):
    "A writable copy of the embedded excerpt, for damaging."
    folder = tmp_path/'excerpt'
    shutil.copytree(EXCERPT_DIR, folder)
    return folder


@pytest.fixture
def full_data():
    "The full database named by ECG_NB_DATA; the test is skipped without it."
    path = os.environ.get('ECG_NB_DATA')
    if not path: pytest.skip('ECG_NB_DATA is not set: full-database tests need the 48 MIT-BIH records')
    return Path(path)

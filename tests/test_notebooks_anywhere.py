"""Every notebook runs top to bottom as JupyterLab runs it (every cell, no flags) without the full database: the cells
that need it say so and skip (`full_database`, `NEEDS_DATABASE`), and nothing fails or claims a figure it did not compute."""
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT/'nbs').glob('[0-9]*.ipynb')) + [ROOT/'nbs'/'index.ipynb']


def run_all(path:Path)->nbformat.NotebookNode:
    "Execute every cell of a notebook in a fresh kernel, in its folder, as JupyterLab's Run All does."
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name='python3', resources={'metadata': {'path': str(path.parent)}}).execute()
    return nb


@pytest.fixture(scope='module')
def executed(tmp_path_factory):
    "Every notebook, executed without ECG_NB_DATA (and no data/mitdb beside the notebooks), two at a time."
    assert not (ROOT/'nbs'/'data'/'mitdb').exists(), 'a database folder beside the notebooks would be found'
    saved = os.environ.pop('ECG_NB_DATA', None)
    os.environ['ECG_NB_CACHE'] = os.environ.get('ECG_NB_CACHE') or str(tmp_path_factory.mktemp('cache'))
    try:
        with ThreadPoolExecutor(2) as pool:  # two cores: a kernel each
            results = dict(zip(NOTEBOOKS, pool.map(lambda p: _outcome(p), NOTEBOOKS)))
    finally:
        if saved is not None: os.environ['ECG_NB_DATA'] = saved
    return results


def _outcome(path):
    try: return run_all(path)
    except Exception as e: return e  # reported by the test of that notebook


@pytest.mark.parametrize('path', NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_without_the_database(executed, path):
    nb = executed[path]
    assert not isinstance(nb, Exception), f'{path.name}: {nb}'
    text = '\n'.join(o.get('text', '') for c in nb.cells if c.cell_type == 'code' for o in c.get('outputs', [])
                     if o.get('output_type') == 'stream')
    slow = [c for c in nb.cells if c.cell_type == 'code' and c.source.lstrip().startswith('#| slow')]
    skipped = text.count('skipped: this cell needs the full MIT-BIH database')
    assert skipped == len(slow), f'{path.name}: {len(slow)} cells need the database, {skipped} said they skipped'
    assert 'on 48 records' not in text  # a figure of the full database, claimed without it

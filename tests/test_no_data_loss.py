"""Nothing lost: no command writes over or deletes what it did not make, and every refusal comes before any work.

Each case snapshots every file under the test's folder (path and SHA-256) before the command and asserts, after
it, one error line naming the option or file, exit status 1, no traceback, and the very same snapshot: no file
changed, none removed, none added (no partial output, no temporary left behind)."""
import hashlib
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import h5py
import nbformat
import numpy as np
import pandas as pd
import pytest

from conftest import run_cli
from ecg_nb.data import EXCERPT_DIR, MARKER, EcgDataError, download_mitdb, read_checksums, read_record, verify_database

REPO = Path(__file__).resolve().parent.parent
SEED_MODEL = REPO/'results'/'ds1ds2'/'fold_0'/'model.keras'


def snapshot(folder):
    "{relative path: SHA-256} of every file under `folder`, and every folder (value None)."
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None
            for p in sorted(Path(folder).rglob('*'))}


def assert_refused(proc, folder, before, *fragments):
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and 'Traceback' not in proc.stderr, proc.stderr
    for fragment in fragments: assert fragment in lines[0], lines[0]
    assert snapshot(folder) == before, 'files changed, appeared or disappeared'


@pytest.fixture
def workspace(tmp_path):
    "A user's folder: an ECG as CSV (one minute of record 119), a WFDB record, a model and the user's notes."
    signal = read_record('119', EXCERPT_DIR).signal[:360 * 60]
    pd.DataFrame({'time': np.arange(len(signal)) / 360, 'MLII': signal}).to_csv(tmp_path/'my_ecg.csv', index=False)
    for name in ('119.hea', '119.dat', '119.atr'): shutil.copy(EXCERPT_DIR/name, tmp_path/name)
    shutil.copy(SEED_MODEL, tmp_path/'model.keras')
    (tmp_path/'notes').mkdir(); (tmp_path/'notes'/'todo.txt').write_text('my own notes\n')
    return tmp_path


@pytest.mark.parametrize('args, fragments', [
    (['my_ecg.csv', '--output', 'my_ecg.csv'], ['--output my_ecg.csv', 'is the ECG file']),
    (['my_ecg.csv', '--output', './notes/../my_ecg.csv'], ['--output', 'is the ECG file']),
    (['119.hea', '--summary', '119.hea'], ['--summary 119.hea', 'is the ECG file']),
    (['119.hea', '--output', '119.dat'], ['--output 119.dat', 'is the ECG file']),
    (['119.hea', '--output', 'beats.csv', '--output_fig', 'model.keras'], ['--output_fig model.keras', 'extensions']),
    (['my_ecg.csv', '--output', 'model.keras'], ['--output model.keras', 'is the model']),
    (['my_ecg.csv', '--summary', 'model.keras'], ['--summary model.keras', 'is the model']),
    (['119.hea', '--r_peaks', '119.atr', '--summary', '119.atr'], ['--summary 119.atr', 'is the R-peak file']),
    (['my_ecg.csv', '--output', 'b.csv', '--summary', 'b.csv'], ['the same path']),
    (['my_ecg.csv', '--output', 'notes'], ['--output notes', 'is a folder']),
    (['my_ecg.csv', '--output', 'beats.csv', '--output_fig', 'fig.txt'], ['--output_fig fig.txt', '.png']),
    (['my_ecg.csv', '--chunk_s', '0'], ['--chunk_s 0']),
    (['my_ecg.csv', '--chunk_s', '-10'], ['--chunk_s -10']),
    (['my_ecg.csv', '--fs', 'nan'], ['--fs nan']),
])
def test_predict_never_writes_over_its_inputs(workspace, args, fragments):
    before = snapshot(workspace)
    proc = run_cli('predict', *args, '--model', 'model.keras', cwd=workspace)
    assert_refused(proc, workspace, before, *fragments)


def test_predict_output_through_a_link_to_the_input(workspace):
    (workspace/'link.csv').symlink_to(workspace/'my_ecg.csv')
    os.link(workspace/'model.keras', workspace/'hard.keras')
    before = snapshot(workspace)
    assert_refused(run_cli('predict', 'my_ecg.csv', '--model', 'model.keras', '--output', 'link.csv', cwd=workspace),
                   workspace, before, 'is the ECG file')
    assert_refused(run_cli('predict', 'my_ecg.csv', '--model', 'model.keras', '--summary', 'hard.keras', cwd=workspace),
                   workspace, before, 'is the model')


def test_predict_writes_all_outputs_or_none(workspace):
    # a figure that cannot be written (its folder is a file): neither the CSV nor the summary appears
    (workspace/'blocker').write_text('a file, not a folder\n')
    before = snapshot(workspace)
    proc = run_cli('predict', 'my_ecg.csv', '--model', 'model.keras', '--output', 'beats.csv', '--summary', 's.json',
                   '--output_fig', 'blocker/fig.png', cwd=workspace)
    assert_refused(proc, workspace, before, 'blocker')
    # and a good run writes all three, and nothing else
    proc = run_cli('predict', 'my_ecg.csv', '--model', 'model.keras', '--output', 'out/beats.csv', '--summary',
                   'out/s.json', '--output_fig', 'out/fig.png', cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (workspace/'out').iterdir()) == ['beats.csv', 'fig.png', 's.json']


def nan_model(source, target):
    "A copy of a seed model file whose first convolution kernel is NaN."
    with zipfile.ZipFile(source) as z: files = {name: z.read(name) for name in z.namelist()}
    weights = io.BytesIO(files['model.weights.h5'])
    with h5py.File(weights, 'r+') as f:
        kernel = next(g for name, g in f['layers'].items() if name.startswith('conv1d'))['vars']['0']
        kernel[...] = np.nan
    files['model.weights.h5'] = weights.getvalue()
    with zipfile.ZipFile(target, 'w') as z:
        for name, data in files.items(): z.writestr(name, data)


def test_nan_weights_are_an_error_not_normal_beats(workspace):
    nan_model(workspace/'model.keras', workspace/'nan.keras')
    before = snapshot(workspace)
    proc = run_cli('predict', 'my_ecg.csv', '--model', 'nan.keras', '--output', 'beats.csv', cwd=workspace)
    assert_refused(proc, workspace, before, 'nan.keras', 'non-finite class probabilities')


def test_download_keeps_everything_else_in_the_folder(tmp_path, capsys):
    # no machine here reaches PhysioNet, so the fetch is a local copy (as in 00_data)
    target = tmp_path/'data'
    target.mkdir()
    shutil.copy(EXCERPT_DIR/'100.hea', target)  # a partial copy ...
    (target/'119.dat').write_bytes(b'half a file')  # ... with one damaged file
    (target/'my_analysis.ipynb').write_text('{}'); (target/'figures').mkdir(); (target/'figures'/'f.png').write_bytes(b'x')
    sums = read_checksums(EXCERPT_DIR/'SHA256SUMS')
    download_mitdb(target, fetch=lambda folder: shutil.copytree(EXCERPT_DIR, folder, dirs_exist_ok=True), checksums=sums)
    assert verify_database(target, sums) == []
    assert (target/'my_analysis.ipynb').read_text() == '{}' and (target/'figures'/'f.png').read_bytes() == b'x'
    assert 'kept 2 other files and folders' in capsys.readouterr().out


def test_download_command_on_a_users_folder_changes_nothing_when_it_fails(tmp_path):
    # the command's real fetch: PhysioNet is unreachable here, so it fails, and must leave the folder as it was
    target = tmp_path/'data'
    target.mkdir(); (target/'notes.txt').write_text('mine'); shutil.copy(EXCERPT_DIR/'100.hea', target)
    before = snapshot(tmp_path)
    proc = run_cli('download', '--data_dir', target, env={'no_proxy': '*', 'https_proxy': 'http://127.0.0.1:9'})
    assert_refused(proc, tmp_path, before, str(target), 'nothing was written')


def test_download_refuses_a_file_as_folder(tmp_path):
    (tmp_path/'data').write_text('a file')
    before = snapshot(tmp_path)
    assert_refused(run_cli('download', '--data_dir', tmp_path/'data'), tmp_path, before, 'is a file, not a folder')


def test_kfold_run_folder_may_not_be_the_database(excerpt_copy, tmp_path):
    before = snapshot(tmp_path)
    for run in (excerpt_copy, tmp_path):  # the database itself, and a folder holding it
        proc = run_cli('kfold', '--data_dir', excerpt_copy, '--run', run, '--k', '2', '--epochs', '1')
        assert_refused(proc, tmp_path, before, '--run', 'database folder')


def test_dataset_figure_may_not_overwrite_a_record(excerpt_copy, tmp_path):
    before = snapshot(tmp_path)
    proc = run_cli('dataset', '--data_dir', excerpt_copy, '--no_cache', '--figure', excerpt_copy/'100.hea')
    assert_refused(proc, tmp_path, before, '--figure', 'is the database file')
    proc = run_cli('detect', '--data_dir', excerpt_copy, '--output', excerpt_copy/'RECORDS')
    assert_refused(proc, tmp_path, before, '--output', 'is the database file')


@pytest.fixture
def fake_repo(tmp_path):
    "The docs build script in a stand-in repository (notebooks, results, the user's own folder), so nothing real is at risk."
    root = tmp_path/'repo'
    for folder in ('tools', 'nbs', 'results/run', 'ecg_nb', 'tests', 'mine'): (root/folder).mkdir(parents=True)
    shutil.copy(REPO/'tools'/'build_docs.py', root/'tools')
    nbformat.write(nbformat.v4.new_notebook(), root/'nbs'/'00_data.ipynb'); (root/'results'/'run'/'report.html').write_text('<p>')
    (root/'mine'/'thesis.tex').write_text('\\documentclass{article}')
    return root


def test_docs_build_names_a_damaged_notebook(fake_repo):
    notebook = fake_repo/'nbs'/'01_segment.ipynb'
    notebook.write_text((REPO/'nbs'/'01_segment.ipynb').read_text()[:5000])  # truncated
    before = snapshot(fake_repo)
    proc = subprocess.run([sys.executable, str(fake_repo/'tools'/'build_docs.py'), '--out', '_docs', '--renderer', 'mkdocs'],
                          capture_output=True, text=True, cwd=fake_repo)
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert '01_segment.ipynb: not a readable notebook' in proc.stderr
    assert snapshot(fake_repo) == before


@pytest.mark.parametrize('out, fragments', [
    ('nbs', ['--out', 'is the notebook folder']),
    ('.', ['--out', 'contains the']),
    ('results', ['--out', 'is the results folder']),
    ('mine', ['--out', 'not a site folder this build made']),
])
def test_docs_build_never_deletes_a_folder_it_did_not_make(fake_repo, out, fragments):
    before = snapshot(fake_repo)
    proc = subprocess.run([sys.executable, str(fake_repo/'tools'/'build_docs.py'), '--out', out, '--renderer', 'mkdocs'],
                          capture_output=True, text=True, cwd=fake_repo)
    assert proc.returncode == 1, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and 'Traceback' not in proc.stderr, proc.stderr
    for fragment in fragments: assert fragment in proc.stderr
    assert snapshot(fake_repo) == before


def test_figure_over_the_model_is_refused(workspace):
    shutil.copy(workspace/'model.keras', workspace/'model.png')  # a model whose name is a figure's
    before = snapshot(workspace)
    proc = run_cli('predict', 'my_ecg.csv', '--model', 'model.png', '--output_fig', 'model.png', cwd=workspace)
    assert_refused(proc, workspace, before, '--output_fig model.png', 'is the model')

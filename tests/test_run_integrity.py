"""A run folder is never silently wrong: changed data, damaged run files, a second command on the same run, and
option values that cannot work are each refused in one line, before any work, leaving every file as it was."""
import fcntl
import json
import shutil

import numpy as np
import pytest

from conftest import run_cli
from ecg_nb.data import EXCERPT_DIR
from test_no_data_loss import assert_refused, snapshot

KFOLD = ['kfold', '--k', '2', '--epochs', '1', '--threads', '1', '--no_html']


@pytest.fixture(scope='module')
def finished_run(tmp_path_factory):
    "A 2-fold run of the excerpt with fold 0 complete (fold 1 not run), made once for the module."
    root = tmp_path_factory.mktemp('made')
    shutil.copytree(EXCERPT_DIR, root/'data')  # not named 'excerpt', which means the embedded one
    proc = run_cli(*KFOLD, '--data_dir', 'data', '--folds', '0', '--run', 'run', cwd=root)  # relative: copies resume
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.fixture
def run(finished_run, tmp_path):
    "A private copy of the finished run and its data: (data folder, run folder)."
    shutil.copytree(finished_run/'data', tmp_path/'data')
    shutil.copytree(finished_run/'run', tmp_path/'run')
    return tmp_path/'data', tmp_path/'run'


def resume(data, run, *extra):
    return run_cli(*KFOLD, '--data_dir', data.name, '--run', run.name, *extra, cwd=run.parent)


def test_changed_data_is_refused_by_resume_and_evaluate(run):
    data, folder = run
    with open(data/'209.dat', 'r+b') as f: f.seek(5000); f.write(b'\x00\x01\x02')
    before = snapshot(folder.parent)
    assert_refused(resume(data, folder), folder.parent, before, 'manifest.json', 'data differ', '209.dat')
    assert_refused(run_cli('evaluate', '--run', 'run', cwd=folder.parent), folder.parent, before,
                   'data differ', '209.dat')


@pytest.mark.parametrize('damage, fragments', [
    (lambda run: (run/'manifest.json').write_text('{"parameters": {"k": 2'), ['manifest.json', 'not a readable run manifest']),
    (lambda run: (run/'manifest.json').write_bytes(b'\xff\xfe garbage'), ['manifest.json', 'not a readable run manifest']),
    (lambda run: (run/'manifest.json').write_text('{"parameters": {}}'), ['manifest.json', 'incomplete run manifest']),
    (lambda run: (run/'manifest.json').write_text('[1, 2, 3]'), ['manifest.json', 'incomplete run manifest']),
    (lambda run: (run/'folds.npz').write_bytes(b'PK\x03\x04 not really a zip'), ['folds.npz', 'not a readable folds file']),
    (lambda run: np.savez(run/'folds.npz', settings=np.array('x')), ['folds.npz', 'not a readable folds file']),
    (lambda run: (run/'fold_0'/'metrics.json').write_text('{"accuracy": '), ['fold_0', 'metrics.json', 'not readable']),
    (lambda run: (run/'fold_0'/'metrics.json').write_text('{"n": 3}'), ['fold_0', 'metrics.json', 'not a fold']),
])
def test_damaged_run_files_give_one_line(run, damage, fragments):
    data, folder = run
    damage(folder)
    before = snapshot(folder.parent)
    assert_refused(resume(data, folder, '--folds', '0'), folder.parent, before, *fragments)


def test_object_arrays_in_folds_are_not_unpickled(run):
    data, folder = run
    np.savez(folder/'folds.npz', settings=np.array([{'a': 1}], dtype=object), test_fold=np.zeros(3))
    before = snapshot(folder.parent)
    assert_refused(resume(data, folder, '--folds', '0'), folder.parent, before, 'folds.npz', 'not a readable folds file')


def test_a_second_command_on_a_run_in_use_is_refused(run):
    data, folder = run
    with open(folder/'.lock', 'a+') as held:  # as a running `ecg_nb kfold` holds it
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.seek(0); held.truncate(); held.write('ecg_nb (pid 4242 on lab-pc, since 2026-11-28 10:00:00)\n'); held.flush()
        before = snapshot(folder.parent)
        assert_refused(resume(data, folder), folder.parent, before, 'in use by ecg_nb (pid 4242 on lab-pc')
    # released (as when that process ends, even killed): the command goes on
    proc = resume(data, folder)
    assert proc.returncode == 0, proc.stderr
    assert 'fold 0: complete, skipped' in proc.stdout and (folder/'fold_1'/'metrics.json').is_file()


@pytest.mark.parametrize('option, value, fragment', [
    ('--epochs', '0', '--epochs 0: must be at least 1'),
    ('--batch_size', '-1', '--batch_size -1: must be at least 1'),
    ('--validation_fraction', '1.5', '--validation_fraction 1.5'),
    ('--lr', 'nan', '--lr nan'),
    ('--k', '1000', '--k 1000: more folds than beats'),
    ('--jobs', '0', '--jobs 0'),
    ('--early_stopping', '-2', '--early_stopping -2'),
])
def test_option_values_are_checked_before_any_work(tmp_path, option, value, fragment):
    args = [*KFOLD, '--synthetic', '--synthetic_n', '200', '--run', tmp_path/'run', option, value]  # the last one counts
    before = snapshot(tmp_path)
    assert_refused(run_cli(*args, cwd=tmp_path), tmp_path, before, fragment)
    assert not (tmp_path/'run').exists()  # no half-made run folder


def test_models_dir_that_is_a_file_is_refused_up_front(tmp_path):
    (tmp_path/'models').write_text('a file')
    before = snapshot(tmp_path)
    proc = run_cli(*KFOLD, '--synthetic', '--synthetic_n', '200', '--models_dir', 'models', '--run', 'run', cwd=tmp_path)
    assert_refused(proc, tmp_path, before, '--models_dir models: is a file, not a folder')


def test_evaluate_refuses_predictions_that_the_model_does_not_give(run):
    data, folder = run
    predictions = folder/'fold_0'/'predictions.csv'
    table = predictions.read_text().splitlines()
    header, first = table[0].split(','), table[1].split(',')
    column = header.index('p_N')
    first[column] = f'{1 - float(first[column]):.6f}'  # one beat's saved probability changed
    predictions.write_text('\n'.join([table[0], ','.join(first), *table[2:]]) + '\n')
    before = snapshot(folder.parent)
    assert_refused(run_cli('evaluate', '--run', 'run', cwd=folder.parent), folder.parent, before,
                   'fold_0/predictions.csv', 'saved probabilities differ')


def test_report_of_a_synthetic_run(tmp_path):
    proc = run_cli('kfold', '--synthetic', '--synthetic_n', '200', '--k', '2', '--epochs', '1', '--threads', '1',
                   '--no_html', '--run', 'run', cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = run_cli('report', '--run', 'run', '--no_html', cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert 'Most confident errors' in (tmp_path/'run'/'report.ipynb').read_text()

"""Bad input to `ecg_nb predict`, `dataset` and `verify`: one line naming the file or option, exit 1, nothing written."""
import shutil
import zipfile

import numpy as np
import pytest

from conftest import run_cli
from ecg_nb.data import EXCERPT_DIR
from test_no_data_loss import SEED_MODEL as REPO_MODEL, assert_refused, snapshot, workspace  # noqa: F401 (a fixture)


@pytest.fixture(scope='module')
def odd_models(tmp_path_factory):
    "Models that do not fit the seed classes or windows: 7 and 3 outputs, 500-sample input (one step of training: shapes matter)."
    from ecg_nb.model import build_model
    folder = tmp_path_factory.mktemp('odd')
    for name, kwargs in {'seven': dict(n_classes=7), 'three': dict(n_classes=3), 'short': dict(input_len=500)}.items():
        model = build_model(**kwargs)
        model.fit(np.zeros((4, kwargs.get('input_len', 1000), 1)), np.zeros(4), epochs=1, verbose=0)  # as train() saves
        model.save(folder/f'{name}.keras')
    return folder


@pytest.mark.parametrize('name, fragments', [
    ('seven', ['seven.keras', 'gives 7 class probabilities', '5 classes (N, L, R, A, V)']),
    ('three', ['three.keras', 'gives 3 class probabilities']),
    ('short', ['short.keras', 'expects input of shape (500, 1)']),
])
def test_model_must_fit_the_classes_and_the_windows(workspace, odd_models, name, fragments):
    shutil.copy(odd_models/f'{name}.keras', workspace)
    before = snapshot(workspace)
    proc = run_cli('predict', 'my_ecg.csv', '--model', f'{name}.keras', '--scheme', 'seed', '--output', 'b.csv', cwd=workspace)
    assert_refused(proc, workspace, before, *fragments)


def test_zip_bomb_model_is_refused_unopened(workspace):
    with zipfile.ZipFile(workspace/'bomb.keras', 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('config.json', '{}'); z.writestr('model.weights.h5', bytes(400 << 20))
    before = snapshot(workspace)
    proc = run_cli('predict', 'my_ecg.csv', '--model', 'bomb.keras', cwd=workspace)
    assert_refused(proc, workspace, before, 'bomb.keras', 'would unpack to')


@pytest.mark.parametrize('peaks, fragments', [
    ('sample\n100\n30000\n', ['peaks.csv', 'beyond the end of the ECG (21,600 samples)']),
    ('100\n-5\n', ['peaks.csv', "line 2: '-5' is not a sample number"]),
    ('100\ninf\n', ['peaks.csv', "line 2: 'inf'"]),
    ('nan\n100\n', ['peaks.csv', "line 1: 'nan'"]),
    ('100.5\n', ['peaks.csv', "'100.5' is not a sample number"]),
    ('sample\n', ['peaks.csv', 'not a column of R-peak sample numbers']),
])
def test_r_peak_files_with_impossible_values(workspace, peaks, fragments):
    (workspace/'peaks.csv').write_text(peaks)
    before = snapshot(workspace)
    proc = run_cli('predict', 'my_ecg.csv', '--r_peaks', 'peaks.csv', '--model', 'model.keras', cwd=workspace)
    assert_refused(proc, workspace, before, *fragments)


def test_wfdb_input_problems(workspace):
    before = snapshot(workspace)
    assert_refused(run_cli('predict', '119.hea', '--lead', 'MLI', '--model', 'model.keras', cwd=workspace), workspace,
                   before, '119.hea', "no lead 'MLI'", 'MLII, V1')
    assert_refused(run_cli('predict', 'notes', '--model', 'model.keras', cwd=workspace), workspace, before,
                   'notes: is a folder')
    with open(workspace/'119.dat', 'r+b') as f: f.truncate(40_000)
    before = snapshot(workspace)
    assert_refused(run_cli('predict', '119.hea', '--model', 'model.keras', cwd=workspace), workspace, before,
                   '119.dat', 'truncated (40,000 of')


def test_header_that_declares_fewer_samples_than_its_data(excerpt_copy, tmp_path):
    header = excerpt_copy/'100.hea'
    header.write_text(header.read_text().replace(' 108000', ' 54000', 1))
    before = snapshot(tmp_path)
    proc = run_cli('dataset', '--data_dir', excerpt_copy, '--no_cache', cwd=tmp_path)
    assert_refused(proc, tmp_path, before, '100.hea', 'declares 54,000 samples', 'does not match its signal file')


def test_verify_checks_the_excerpt_against_its_own_list():
    proc = run_cli('verify', '--data_dir', 'excerpt')
    assert proc.returncode == 0, proc.stderr
    assert "5 records, every file matches the excerpt's SHA256SUMS" in proc.stdout


@pytest.mark.parametrize('args, fragment', [
    (['--width', '-5'], '--width -5: must be a whole number of samples'),
    (['--width', '0'], '--width 0'),
    (['--lead', 'MLI'], "--lead MLI: none of the 5 records has this lead (record 100 has MLII, V5)"),
    (['--cache_dir', 'afile'], 'afile: is a file, not a folder'),
])
def test_dataset_options_and_declared_values(tmp_path, args, fragment):
    (tmp_path/'afile').write_text('not a folder')
    before = snapshot(tmp_path)
    proc = run_cli('dataset', '--data_dir', 'excerpt', *(['--no_cache'] if '--cache_dir' not in args else []), *args,
                   cwd=tmp_path)
    assert_refused(proc, tmp_path, before, fragment)


def test_header_declaring_an_impossible_sampling_frequency(excerpt_copy, tmp_path):
    header = excerpt_copy/'119.hea'
    header.write_text(header.read_text().replace('119 2 360 ', '119 2 1000000 ', 1))
    before = snapshot(tmp_path)
    assert_refused(run_cli('dataset', '--data_dir', excerpt_copy, '--no_cache', cwd=tmp_path), tmp_path, before,
                   '119.hea', 'sampling frequency of 1000000')
    shutil.copy(header, tmp_path/'119.hea'); shutil.copy(excerpt_copy/'119.dat', tmp_path/'119.dat')
    before = snapshot(tmp_path)
    proc = run_cli('predict', '119.hea', '--model', REPO_MODEL, cwd=tmp_path)
    assert_refused(proc, tmp_path, before, 'sampling frequency 1e+06 Hz')


def test_weights_of_the_wrong_shape_give_a_short_line(workspace):
    with zipfile.ZipFile(workspace/'model.keras') as z: files = {name: z.read(name) for name in z.namelist()}
    files['config.json'] = files['config.json'].replace(b'"units": 10', b'"units": 11', 1)  # the weights stay 10 wide
    with zipfile.ZipFile(workspace/'odd.keras', 'w') as z:
        for name, data in files.items(): z.writestr(name, data)
    before = snapshot(workspace)
    proc = run_cli('predict', 'my_ecg.csv', '--model', 'odd.keras', cwd=workspace)
    assert_refused(proc, workspace, before, 'odd.keras', 'not a readable Keras model')
    assert len(proc.stderr) < 400, proc.stderr  # the message, not the weight arrays


def test_mat_file_declaring_an_impossible_sampling_frequency(workspace):
    import scipy.io
    scipy.io.savemat(workspace/'ecg.mat', {'val': np.zeros((1, 5000)), 'fs': 1e6})
    before = snapshot(workspace)
    proc = run_cli('predict', 'ecg.mat', '--model', 'model.keras', cwd=workspace)
    assert_refused(proc, workspace, before, 'ecg.mat', 'sampling frequency 1e+06 Hz')


@pytest.mark.parametrize('where, error', [
    ('pandas.DataFrame.to_csv', OSError(28, 'No space left on device')),  # a full disk while writing
    ('tempfile.mkdtemp', OSError(30, 'Read-only file system')),          # a read-only folder
])
def test_full_or_read_only_disk_is_one_line_naming_the_output(workspace, monkeypatch, where, error):
    from test_fuzz_commands import call
    def fail(*args, **kwargs):
        raise type(error)(error.errno, error.strerror, str(args[1] if len(args) > 1 else args[0]) if args else None)
    monkeypatch.setattr(where, fail)
    before = snapshot(workspace)
    status, _, err = call('predict', 'my_ecg.csv', '--model', 'model.keras', '--output', 'out/beats.csv', cwd=workspace)
    assert status == 1 and len(err.strip().splitlines()) == 1, err
    assert 'beats.csv' in err or 'out' in err, err
    assert error.strerror in err and 'Errno' not in err and '.tmp' not in err, err
    assert snapshot(workspace) == before  # not even the folder made for the output is left

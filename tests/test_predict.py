"""`ecg_nb predict` on files made here from real excerpt signals (CSV, .mat v5, .mat v7.3, WFDB), and every bad input."""
import json
import shutil

import numpy as np
import pandas as pd
import pytest
import scipy.io

from conftest import run_cli
from ecg_nb.data import EXCERPT_DIR, read_record
from ecg_nb.predict import write_mat73


@pytest.fixture(scope='module')
def model(tmp_path_factory):
    "A small model trained on the excerpt (3 epochs): enough to exercise prediction, not to judge it."
    from ecg_nb.model import build_model, train
    from ecg_nb.segment import build_dataset
    folder = tmp_path_factory.mktemp('model')
    ds = build_dataset('excerpt', cache_dir=folder/'cache', progress=False)
    train(build_model(seed=0), ds.X, ds.y, epochs=3, batch_size=32, out_dir=folder, tensorboard=False, verbose=0)
    return folder/'model.keras'


@pytest.fixture(scope='module')
def signal():
    return read_record('119', EXCERPT_DIR).signal  # 5 min, ventricular bigeminy, mV at 360 Hz


def predict(model, *args, cwd):
    return run_cli('predict', *args, '--model', model, cwd=cwd)


def test_every_input_format_gives_the_same_beats(model, signal, tmp_path):
    shutil.copy(EXCERPT_DIR/'119.hea', tmp_path); shutil.copy(EXCERPT_DIR/'119.dat', tmp_path)
    pd.DataFrame({'time': np.arange(len(signal)) / 360, 'MLII': signal}).to_csv(tmp_path/'a.csv', index=False)
    np.savetxt(tmp_path/'b.csv', signal, fmt='%.4f')  # one bare column: fs must be given
    scipy.io.savemat(tmp_path/'c.mat', {'val': np.round(signal * 200)[None, :], 'fs': 360.})  # ADC units, like CinC
    write_mat73(tmp_path/'d.mat', {'ecg': signal})
    runs = {'119.hea': [], 'a.csv': [], 'b.csv': ['--fs', '360'], 'c.mat': ['--scale', '0.005'], 'd.mat': ['--fs', '360']}
    tables = {}
    for name, extra in runs.items():
        proc = predict(model, tmp_path/name, '--output', tmp_path/f'{name}.beats.csv', *extra, cwd=tmp_path)
        assert proc.returncode == 0, (name, proc.stderr)
        tables[name] = pd.read_csv(tmp_path/f'{name}.beats.csv')
    reference = tables.pop('119.hea')
    assert len(reference) > 300 and set(reference.columns) >= {'sample', 'time_s', 'class', 'probability', 'p_N', 'p_V'}
    for name, table in tables.items():
        assert table['sample'].tolist() == reference['sample'].tolist(), name
        assert (table['class'] == reference['class']).mean() > 0.99, name


def test_resampled_input_keeps_its_own_sample_numbers(model, signal, tmp_path):
    from scipy.signal import resample_poly
    pd.DataFrame({'ecg': resample_poly(signal, 500, 360)}).to_csv(tmp_path/'500hz.csv', index=False)
    proc = predict(model, tmp_path/'500hz.csv', '--fs', '500', '--output', tmp_path/'o.csv', '--summary', tmp_path/'s.json',
                   '--output_fig', tmp_path/'figs'/'o.png', cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path/'s.json').read_text())
    reference = read_record('119', EXCERPT_DIR)
    ref = reference.ann_sample[np.isin(reference.ann_symbol, list('NV'))] * 500 / 360
    found = pd.read_csv(tmp_path/'o.csv')['sample'].to_numpy()
    assert summary['fs'] == 500 and abs(len(found) - len(ref)) <= 6
    assert np.median(np.abs(found[:, None] - ref[None, :]).min(axis=1)) < 10  # sample numbers at 500 Hz
    assert (tmp_path/'figs'/'o.png').stat().st_size > 20_000


def test_r_peaks_from_an_annotation_file(model, tmp_path):
    for ext in ('hea', 'dat', 'atr'): shutil.copy(EXCERPT_DIR/f'232.{ext}', tmp_path)
    proc = predict(model, tmp_path/'232.hea', '--r_peaks', tmp_path/'232.atr', '--summary', tmp_path/'s.json',
                   '--output', tmp_path/'o.csv', cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path/'s.json').read_text())
    assert summary['r_peaks'] == 'from 232.atr'
    record = read_record('232', EXCERPT_DIR)
    beats = record.ann_sample[np.isin(record.ann_symbol, list('NLRBAaJSVrFejnE/fQ?'))]
    assert summary['beats'] + summary['beats_dropped_at_edges'] == len(beats)


def test_ensemble_of_a_run(tmp_path):
    run = tmp_path/'run'
    assert run_cli('kfold', '--data_dir', 'excerpt', '--k', '2', '--epochs', '1', '--jobs', '2', '--threads', '1',
                   '--run', run, '--no_html', cwd=tmp_path).returncode == 0
    proc = run_cli('predict', EXCERPT_DIR/'100.hea', '--run', run, '--summary', tmp_path/'s.json', '--output',
                   tmp_path/'o.csv', cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path/'s.json').read_text())['model'].startswith('ensemble of 2 fold models of run run')


def write(path, text):
    path.write_text(text)
    return path


BAD_INPUTS = {
    'empty file': (lambda d, x: write(d/'e.csv', ''), ['--fs', '360'], 'the file is empty'),
    'non-numeric': (lambda d, x: write(d/'n.csv', 'ecg\n0.1\n0.2\nabc\n0.3\n'), ['--fs', '360'],
                    "non-numeric value 'abc' in column 'ecg', line 4"),
    'no fs': (lambda d, x: write(d/'f.csv', '\n'.join(map(str, x)) + '\n'), [], 'pass --fs'),
    'fs mismatch': (lambda d, x: pd.DataFrame({'time': np.arange(len(x)) / 360, 'ecg': x}).to_csv(d/'m.csv', index=False)
                    or d/'m.csv', ['--fs', '250'], '--fs 250 Hz does not match the file'),
    'long gap': (lambda d, x: pd.DataFrame({'ecg': np.where((np.arange(len(x)) > 3600) & (np.arange(len(x)) < 5400), np.nan, x)})
                 .to_csv(d/'g.csv', index=False) or d/'g.csv', ['--fs', '360'], 'gap(s) of missing samples longer than 0.5 s, at 10.00-15.00 s'),
    'flat': (lambda d, x: write(d/'flat.csv', 'ecg\n' + '0.5\n' * 5000), ['--fs', '360'], 'the signal is flat'),
    'clipped': (lambda d, x: pd.DataFrame({'ecg': np.clip(x, -0.4, 0.4)}).to_csv(d/'c.csv', index=False) or d/'c.csv',
                ['--fs', '360'], 'the signal is clipped'),
    'too short': (lambda d, x: pd.DataFrame({'ecg': x[:700]}).to_csv(d/'s.csv', index=False) or d/'s.csv',
                  ['--fs', '360'], 'shorter than one beat window'),
    'ADC units': (lambda d, x: pd.DataFrame({'ecg': np.round(x * 200 + 1024)}).to_csv(d/'a.csv', index=False) or d/'a.csv',
                  ['--fs', '360'], 'pass --scale'),
    'mat without ECG': (lambda d, x: scipy.io.savemat(d/'k.mat', {'name': 'x', 'fs': 360.}) or d/'k.mat', [],
                        "no usable ECG array; arrays found: name (1,), fs (1, 1)"),
    'not a mat file': (lambda d, x: write(d/'bad.mat', 'hello'), ['--fs', '360'], 'not a readable .mat file'),
    'missing file': (lambda d, x: d/'nothing.csv', ['--fs', '360'], 'nothing.csv: no such file'),
    'several columns': (lambda d, x: pd.DataFrame({'MLII': x, 'V5': x}).to_csv(d/'two.csv', index=False) or d/'two.csv',
                        ['--fs', '360'], 'several signal columns (MLII, V5); choose one with --column'),
}


@pytest.mark.parametrize('case', BAD_INPUTS)
def test_bad_input_gives_one_line_and_no_output(case, model, signal, tmp_path):
    make, extra, message = BAD_INPUTS[case]
    path = make(tmp_path, signal)
    out = tmp_path/'out'
    proc = predict(model, path, *extra, '--output', out/'o.csv', '--summary', out/'s.json', '--output_fig', out/'f.png',
                   cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and 'Traceback' not in proc.stderr, proc.stderr
    assert message in lines[0] and path.name in lines[0], lines[0]
    assert not out.exists()  # no partial output


def test_unreadable_model(signal, tmp_path):
    bad = write(tmp_path/'m.keras', 'not a model')
    pd.DataFrame({'ecg': signal}).to_csv(tmp_path/'x.csv', index=False)
    proc = run_cli('predict', tmp_path/'x.csv', '--fs', '360', '--model', bad, '--output', tmp_path/'o.csv', cwd=tmp_path)
    assert proc.returncode == 1 and 'm.keras: not a readable Keras model' in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path/'o.csv').exists()

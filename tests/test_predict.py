"""`ecg_nb predict` on files made here from real excerpt signals (CSV, .mat v5, .mat v7.3, WFDB), and every bad input."""
import json
import shutil
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.io

from conftest import assert_one_line_error, run_cli
from ecg_nb.data import EXCERPT_DIR, ModelInfo, read_record
from ecg_nb.architecture import load_numpy_model
from ecg_nb.predict import load_predictor
from ecg_nb.signals import check_signal, read_wfdb_signal, write_mat73

REPO = Path(__file__).resolve().parent.parent
COMMITTED = [REPO/'results'/'ds1ds2'/'fold_0'/'model.keras', REPO/'results'/'stratified10'/'fold_4'/'model.keras']


@pytest.fixture(scope='module')
def model(tmp_path_factory):
    "A small model trained on the excerpt (3 epochs): enough to exercise prediction, not to judge it."
    from ecg_nb.model import build_model, train
    from ecg_nb.segment import build_dataset
    folder = tmp_path_factory.mktemp('model')
    ds = build_dataset('excerpt', cache_dir=folder/'cache', progress=False)
    train(build_model(seed=0), ds.X, ds.y, epochs=3, batch_size=32, out_dir=folder, tensorboard=False, verbose=0,
          info=ModelInfo(classes=ds.classes, scheme=ds.scheme))
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
    table = pd.read_csv(tmp_path/'o.csv')
    assert summary['beats'] == len(beats) == len(table)  # every beat, those near the ends too
    near_end = (beats < 500) | (beats + 500 > len(record.signal))  # half a window from either end
    assert summary['beats_at_edges'] == table.edge.sum() == near_end.sum() and (table.edge.to_numpy() == near_end).all()


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
    assert_one_line_error(proc, message, path.name)
    assert not out.exists()  # no partial output


def test_unreadable_model(signal, tmp_path):
    bad = write(tmp_path/'m.keras', 'not a model')
    pd.DataFrame({'ecg': signal}).to_csv(tmp_path/'x.csv', index=False)
    proc = run_cli('predict', tmp_path/'x.csv', '--fs', '360', '--model', bad, '--output', tmp_path/'o.csv', cwd=tmp_path)
    assert proc.returncode == 1 and 'm.keras: not a readable Keras model' in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path/'o.csv').exists()


def beats_of(signal):
    from ecg_nb.segment import detect_r_peaks, segment_beats
    return segment_beats(signal, detect_r_peaks(signal, 360.))[0]


def test_numpy_forward_pass_gives_keras_probabilities(model, signal):
    from ecg_nb.model import load_model
    beats = beats_of(signal)
    for path in [model, *COMMITTED]:
        expected = load_model(path).predict(beats, batch_size=1024, verbose=0)
        got = load_numpy_model(path).predict(beats)
        assert got.dtype == np.float32 and got.shape == expected.shape == (len(beats), 5)
        assert np.abs(got - expected).max() < 1e-5, path  # float32 round-off; Keras differs from itself by as much
        assert (got.argmax(axis=1) == expected.argmax(axis=1)).all(), path


def test_the_seed_predicts_without_tensorflow(tmp_path):
    "The command's path with a seed model never imports TensorFlow or Keras, and says numpy did the work."
    code = ('import json, sys; from ecg_nb.predict import predict_file; '
            '_, s = predict_file(sys.argv[1], model=sys.argv[2], output=sys.argv[3], progress=False); '
            'print(json.dumps([s["inference"], sorted(m for m in ("tensorflow", "keras") if m in sys.modules)]))')
    proc = subprocess.run([sys.executable, '-c', code, EXCERPT_DIR/'100.hea', COMMITTED[0], tmp_path/'o.csv'],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == ["numpy (cnn_lstm_oh2018)", []]
    assert len(pd.read_csv(tmp_path/'o.csv')) > 300


def test_a_model_that_is_not_the_seed_falls_back_to_keras(signal, tmp_path):
    "The seed with biases in its convolutions is not the seed: Keras loads it (safe mode) and computes its classes."
    import keras
    from keras import layers
    beat = keras.Input((1000, 1))
    x = beat
    for filters, kernel_size in zip((3, 6, 6), (21, 11, 5)):
        x = layers.MaxPooling1D(2)(layers.Conv1D(filters, kernel_size, activation='relu', use_bias=True)(x))
    x = layers.Dropout(0.2)(layers.Dense(20, activation='relu')(layers.LSTM(20)(x)))
    x = layers.Dropout(0.2)(layers.Dense(10, activation='relu')(x))
    other = keras.Model(beat, layers.Dense(5, activation='softmax')(x))
    other.save(tmp_path/'biased.keras')
    with pytest.raises(ValueError, match='use_bias'): load_numpy_model(tmp_path/'biased.keras')
    predictor = load_predictor(model=tmp_path/'biased.keras', scheme='seed')  # saved without a card: scheme given
    assert predictor.engine == 'keras'
    beats = beats_of(signal)
    np.testing.assert_allclose(predictor(beats), other.predict(beats, verbose=0), atol=1e-6)
    pd.DataFrame({'ecg': signal}).to_csv(tmp_path/'x.csv', index=False)
    proc = run_cli('predict', tmp_path/'x.csv', '--fs', '360', '--model', tmp_path/'biased.keras', '--scheme', 'seed', '--output',
                   tmp_path/'o.csv', '--summary', tmp_path/'s.json', cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path/'s.json').read_text())['inference'] == 'keras'


def write_wfdb(folder, name, digital, like, fmt):
    "Digital samples (n, leads) as a WFDB record with the gains, units and lead names of `like`."
    import wfdb
    leads = digital.shape[1]
    wfdb.wrsamp(name, fs=like.fs, units=like.units[:leads], sig_name=like.sig_name[:leads], d_signal=digital,
                fmt=[fmt] * leads, adc_gain=like.adc_gain[:leads], baseline=like.baseline[:leads], write_dir=str(folder))
    return folder/f'{name}.hea'


@pytest.mark.parametrize('fmt', ['212', '16'])
def test_chunked_wfdb_reader_gives_the_samples_of_one_whole_read(fmt, tmp_path):
    import wfdb
    like = wfdb.rdrecord(str(EXCERPT_DIR/'119'), physical=False)
    path = write_wfdb(tmp_path, 'r', like.d_signal, like, fmt)  # both leads, interleaved as in the database
    whole = wfdb.rdrecord(str(tmp_path/'r'), channels=[0], physical=True).p_signal[:, 0].astype(np.float32)
    for chunk_samples in (10_001, 1 << 16, 10**9):  # odd: chunks that start inside a format-212 byte triple
        ecg = read_wfdb_signal(path, chunk_samples=chunk_samples)
        assert ecg.samples.dtype == np.float32 and ecg.lead == 'MLII' and ecg.fs == 360
        np.testing.assert_array_equal(ecg.samples, whole)
    assert np.array_equal(read_wfdb_signal(path, lead='V1', chunk_samples=10_001).samples,
                          wfdb.rdrecord(str(tmp_path/'r'), channels=[1]).p_signal[:, 0].astype(np.float32))


def test_checks_see_a_gap_across_chunks(tmp_path):
    "Missing samples (WFDB's invalid value) spanning chunk boundaries still make one gap, refused with its times."
    import wfdb
    like = wfdb.rdrecord(str(EXCERPT_DIR/'119'), physical=False)
    digital = like.d_signal.copy()
    digital[3600:5400, 0] = -32768  # format 16's 'no sample'
    path = write_wfdb(tmp_path, 'gap', digital, like, '16')
    ecg = read_wfdb_signal(path, chunk_samples=1000)
    assert np.isnan(ecg.samples).sum() == 1800
    with pytest.raises(ValueError, match=r'gap\.hea: 1 gap\(s\) of missing samples longer than 0.5 s, at 10.00-15.00 s'):
        check_signal(ecg)


def test_a_long_recording_is_never_read_as_float64(tmp_path):
    "Reading 3 hours: peak memory (numpy's, counted by tracemalloc) is the float32 signal and one chunk, not more."
    import wfdb
    like = wfdb.rdrecord(str(EXCERPT_DIR/'119'), channels=[0], physical=False)
    path = write_wfdb(tmp_path, 'long', np.tile(like.d_signal[:, 0], 36)[:, None], like, '16')  # 3.9 M samples
    peaks = {}
    for chunk_samples in (1 << 18, 10**9):
        tracemalloc.start()
        try:
            ecg = read_wfdb_signal(path, chunk_samples=chunk_samples)
            peaks[chunk_samples] = tracemalloc.get_traced_memory()[1] / ecg.samples.nbytes
            tracemalloc.reset_peak()
            check_signal(ecg)
            checked = tracemalloc.get_traced_memory()[1] / ecg.samples.nbytes
        finally: tracemalloc.stop()
        assert len(ecg.samples) == 36 * like.sig_len and ecg.samples.dtype == np.float32
        assert checked < 1.8, checked  # the signal and a boolean mask or two: no float copy of the whole
    assert peaks[1 << 18] < 1.5, peaks  # the float32 signal plus one chunk of 262,144 samples
    assert peaks[10**9] > 4, peaks  # one piece: wfdb's integers and float64 besides (the test can tell)


def test_a_long_recording_end_to_end(tmp_path):
    "Six hours through the command: every 10-minute chunk classified once, no beat twice, memory far below Keras'."
    import wfdb
    like = wfdb.rdrecord(str(EXCERPT_DIR/'119'), channels=[0], physical=False)
    path = write_wfdb(tmp_path, 'six_hours', np.tile(like.d_signal[:, 0], 72)[:, None], like, '16')
    measure = ('import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True, text=True); '
               'sys.stderr.write(p.stderr); print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)')
    from conftest import ECG_NB
    proc = subprocess.run([sys.executable, '-c', measure, ECG_NB, 'predict', path, '--model', COMMITTED[0], '--output',
                           tmp_path/'o.csv', '--summary', tmp_path/'s.json'], capture_output=True, text=True, timeout=600)
    code, peak_kb = map(int, proc.stdout.split())
    assert code == 0, proc.stderr
    summary = json.loads((tmp_path/'s.json').read_text())
    one = run_cli('predict', EXCERPT_DIR/'119.hea', '--model', COMMITTED[0], '--summary', tmp_path/'one.json',
                  '--output', tmp_path/'one.csv', cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    per_copy = json.loads((tmp_path/'one.json').read_text())
    assert abs(summary['beats'] - 72 * per_copy['beats']) < 72  # joins may add or drop one
    assert np.diff(pd.read_csv(tmp_path/'o.csv')['sample']).min() > 0.25 * 360  # no beat counted twice
    assert peak_kb / 1024 < 600, peak_kb  # TensorFlow alone took the command past 800 MB


def test_a_model_of_an_aami_run_labels_beats_with_aami_classes(tmp_path):
    # the bug this guards: a fold model of an `--scheme aami` run was labelled N, L, R, A, V
    proc = run_cli('kfold', '--data_dir', 'excerpt', '--scheme', 'aami', '--k', '2', '--folds', '0', '--epochs', '1',
                   '--threads', '1', '--no_html', '--run', 'aami', cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    model = tmp_path/'aami'/'fold_0'/'model.keras'
    from ecg_nb.data import read_model_info
    card = read_model_info(model)
    assert card.classes == ('N', 'S', 'V', 'F', 'Q') and card.scheme == 'aami' and card.fold == 0 and card.run == 'aami'
    assert card.protocol == 'intra-patient (beat-level)' and set(card.trained_on) == {'100', '119', '209', '214', '232'}
    proc = run_cli('predict', EXCERPT_DIR/'209.hea', '--model', model, '--output', 'beats.csv', '--summary', 's.json',
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    beats = pd.read_csv(tmp_path/'beats.csv')
    assert [c for c in beats.columns if c.startswith('p_')] == ['p_N', 'p_S', 'p_V', 'p_F', 'p_Q']
    assert set(beats['class']) <= {'N', 'S', 'V', 'F', 'Q'}
    assert json.loads((tmp_path/'s.json').read_text())['classes'] == ['N', 'S', 'V', 'F', 'Q']
    proc = run_cli('predict', EXCERPT_DIR/'209.hea', '--model', model, '--scheme', 'seed', cwd=tmp_path)
    assert proc.returncode == 1 and 'outputs the classes N, S, V, F, Q (aami scheme), not those of --scheme seed' in proc.stderr


def test_a_model_without_a_card_needs_its_scheme(tmp_path):
    import zipfile
    with zipfile.ZipFile(COMMITTED[0]) as source, zipfile.ZipFile(tmp_path/'old.keras', 'w') as target:
        for item in source.infolist():
            if item.filename != 'ecg_nb.json': target.writestr(item, source.read(item.filename))
    proc = run_cli('predict', EXCERPT_DIR/'119.hea', '--model', 'old.keras', cwd=tmp_path)
    assert proc.returncode == 1 and 'does not say which classes' in proc.stderr and 'pass --scheme' in proc.stderr
    assert not list(tmp_path.glob('*.csv'))
    proc = run_cli('predict', EXCERPT_DIR/'119.hea', '--model', 'old.keras', '--scheme', 'seed', '--output', 'b.csv',
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert 'p_L' in pd.read_csv(tmp_path/'b.csv').columns


def test_the_shipped_model_classifies_every_beat_of_a_ten_second_strip(tmp_path):
    # the default model, as a user runs it: all 13 beats of record 100's first 10 s, the atrial premature one
    # among them, with the AAMI classes the model file names; the first and last beats' windows run past the strip
    from ecg_nb.data import BEAT_SYMBOLS, SCHEMES
    from ecg_nb.segment import BEAT_POST, BEAT_PRE
    record = read_record('100', EXCERPT_DIR)
    pd.DataFrame({'MLII': record.signal[:3600]}).to_csv(tmp_path/'strip.csv', index=False)
    proc = run_cli('predict', tmp_path/'strip.csv', '--fs', '360', '--output', tmp_path/'b.csv', '--summary', tmp_path/'s.json',
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    table, summary = pd.read_csv(tmp_path/'b.csv'), json.loads((tmp_path/'s.json').read_text())
    assert summary['classes'] == list(load_predictor().classes) == ['N', 'S', 'V', 'F']
    is_beat = (record.ann_sample < 3600) & np.isin(record.ann_symbol, BEAT_SYMBOLS)
    reference = record.ann_sample[is_beat]
    assert len(table) == len(reference) == 13 and (np.abs(table['sample'].to_numpy() - reference) <= 2).all()
    aami = SCHEMES['aami']
    assert list(table['class']) == [aami.classes[i] for i in aami.labels(record.ann_symbol[is_beat])]  # one S among them
    near_end = (table['sample'] < BEAT_PRE) | (table['sample'] + BEAT_POST > 3600)
    assert near_end.sum() == 2 and (table.edge == near_end).all() and summary['beats_at_edges'] == 2


def test_a_ten_second_strip_loses_no_beat_and_a_training_record_is_named(tmp_path):
    # the standard ECG strip: every beat classified, those whose window runs past the strip marked
    record = read_record('100', EXCERPT_DIR)
    strip = record.signal[:3600]
    pd.DataFrame({'MLII': strip}).to_csv(tmp_path/'strip.csv', index=False)
    proc = run_cli('predict', tmp_path/'strip.csv', '--fs', '360', '--model', COMMITTED[0], '--output', tmp_path/'b.csv',
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(tmp_path/'b.csv')
    reference = record.ann_sample[(record.ann_sample < 3600) & np.isin(record.ann_symbol, list('NLRBAaJSVrFejnE/fQ?'))]
    assert len(table) == len(reference) and table.edge.sum() >= 2 and not table.edge[1:-1].all()
    assert set(table.edge[(table['sample'] >= 500) & (table['sample'] < 3100)]) == {False}
    # a model that trained on record 100 says so when asked about a file of that name; one that did not, does not
    shutil.copy(EXCERPT_DIR/'100.hea', tmp_path); shutil.copy(EXCERPT_DIR/'100.dat', tmp_path)
    seen = run_cli('predict', tmp_path/'100.hea', '--run', REPO/'results'/'stratified10', '--output', tmp_path/'s.csv', cwd=tmp_path)
    assert seen.returncode == 0 and 'among those the model was trained on' in seen.stderr, seen.stderr
    unseen = run_cli('predict', tmp_path/'100.hea', '--model', COMMITTED[0], '--output', tmp_path/'u.csv', cwd=tmp_path)
    assert unseen.returncode == 0 and 'trained on' not in unseen.stderr, unseen.stderr


def test_the_shipped_model_predicts_on_a_fresh_install_without_tensorflow(tmp_path):
    "`ecg_nb predict FILE` with no model: the package's inter-patient ensemble, AAMI classes, TensorFlow never imported."
    # TensorFlow and Keras made unimportable, as on an install without them
    code = ('import json, sys; sys.modules["tensorflow"] = sys.modules["keras"] = None; '
            'from ecg_nb.cli import main; status = main(sys.argv[1:]); '
            'print(json.dumps([status, sorted(m for m in ("tensorflow", "keras") if sys.modules.get(m))]))')
    record = read_record('232', EXCERPT_DIR)
    strip = record.signal[:250 * 36]  # 25 s, resampled to 250 Hz as another device records it
    in_strip = (record.ann_sample < 250 * 36) & np.isin(record.ann_symbol, list('NLRBAaJSVrFejnE/fQ?'))
    from scipy.signal import resample_poly
    pd.DataFrame({'ecg': resample_poly(strip, 25, 36)}).to_csv(tmp_path/'mine.csv', index=False)
    proc = subprocess.run([sys.executable, '-c', code, 'predict', 'mine.csv', '--fs', '250', '--summary', 's.json'],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == [0, []]
    summary = json.loads((tmp_path/'s.json').read_text())
    assert summary['classes'] == ['N', 'S', 'V', 'F'] and summary['inference'] == 'numpy (beat_template_rr)'
    assert 'shipped with ecg_nb' in summary['model'] and summary['measured'].startswith('inter-patient')
    beats = pd.read_csv(tmp_path/'mine_beats.csv')
    assert [c for c in beats.columns if c.startswith('p_')] == ['p_N', 'p_S', 'p_V', 'p_F']
    assert len(beats) == summary['beats'] and not beats.edge.iloc[5:-5].any()
    assert in_strip.sum() <= len(beats) <= in_strip.sum() + 1  # every beat found; the detector adds one here (a T wave)
    assert 'S' in set(beats['class'])  # record 232's atrial premature beats


def test_output_labels_come_from_the_model_file(tmp_path):
    "The shipped files' cards name the classes: renamed there, renamed in every output; an ensemble must agree."
    from ecg_nb.data import read_model_info, write_model_info
    from ecg_nb.predict import DEFAULT_MODEL
    import dataclasses
    ensemble = tmp_path/'renamed'
    shutil.copytree(DEFAULT_MODEL, ensemble)
    for path in sorted(ensemble.glob('*.keras')):
        write_model_info(path, dataclasses.replace(read_model_info(path), classes=('normal', 'supra', 'ventricular', 'fusion')))
    proc = run_cli('predict', EXCERPT_DIR/'232.hea', '--model', ensemble, '--output', 'b.csv', cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    beats = pd.read_csv(tmp_path/'b.csv')
    assert [c for c in beats.columns if c.startswith('p_')] == ['p_normal', 'p_supra', 'p_ventricular', 'p_fusion']
    assert set(beats['class']) <= {'normal', 'supra', 'ventricular', 'fusion'} and 'supra' in set(beats['class'])
    assert run_cli('predict', EXCERPT_DIR/'232.hea', '--output', 'd.csv', cwd=tmp_path).returncode == 0
    default = pd.read_csv(tmp_path/'d.csv')  # the shipped files: the same beats, their classes by the cards' names
    renamed = default['class'].map({'N': 'normal', 'S': 'supra', 'V': 'ventricular', 'F': 'fusion'})
    assert (renamed == beats['class']).all()
    # one file that disagrees with the others is refused, naming it
    first = sorted(ensemble.glob('*.keras'))[0]
    write_model_info(first, dataclasses.replace(read_model_info(first), classes=('N', 'S', 'V', 'F')))
    proc = run_cli('predict', EXCERPT_DIR/'232.hea', '--model', ensemble, '--output', 'x.csv', cwd=tmp_path)
    assert proc.returncode == 1 and 'an ensemble needs the same' in proc.stderr and not (tmp_path/'x.csv').exists()


def test_the_wheel_ships_the_default_model(tmp_path):
    "A pip install gets the five model files (setup.py's package_data), byte for byte the repository's."
    import zipfile
    from ecg_nb.predict import DEFAULT_MODEL
    source = tmp_path/'source'  # a copy: building in the repository would leave build/ there
    shutil.copytree(REPO/'ecg_nb', source/'ecg_nb', ignore=shutil.ignore_patterns('__pycache__'))
    for name in ('setup.py', 'settings.ini', 'MANIFEST.in', 'README.md', 'ecgclf.py'): shutil.copy(REPO/name, source)
    proc = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w', tmp_path, source],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheel, = tmp_path.glob('ecg_nb-*.whl')
    with zipfile.ZipFile(wheel) as z:
        shipped = {Path(n).name: z.read(n) for n in z.namelist() if n.startswith('ecg_nb/models/aami_interpatient/')}
    assert shipped == {p.name: p.read_bytes() for p in sorted(DEFAULT_MODEL.glob('*.keras'))} and len(shipped) == 5


def test_a_card_with_an_impossible_prior_correction_is_refused(tmp_path):
    "A correction that would divide by zero (or is not one number per class) is named, not computed with."
    import dataclasses
    from ecg_nb.data import read_model_info, write_model_info
    from ecg_nb.predict import DEFAULT_MODEL
    for bad in ((0.7, 1.9, 0.0, 2.3), (1.0, 1.0, 1.0), (1.0, float('nan'), 1.0, 1.0)):
        model = tmp_path/'one.keras'
        shutil.copy(sorted(DEFAULT_MODEL.glob('*.keras'))[0], model)
        write_model_info(model, dataclasses.replace(read_model_info(model), prior_correction=bad))
        proc = run_cli('predict', EXCERPT_DIR/'232.hea', '--model', model, '--output', 'x.csv', cwd=tmp_path)
        assert proc.returncode == 1 and 'prior correction' in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert not (tmp_path/'x.csv').exists()


def test_the_card_names_the_baseline_the_model_was_trained_with(tmp_path):
    "Prediction preprocesses as the card says: 'medians' gives the first models' inputs; unknown or mixed baselines are refused."
    import dataclasses
    from ecg_nb.data import read_model_info, write_model_info
    from ecg_nb.predict import DEFAULT_MODEL, classify_signal
    from ecg_nb.segment import beat_inputs, detect_r_peaks, preprocess
    shipped = sorted(DEFAULT_MODEL.glob('*.keras'))[0]
    assert read_model_info(shipped).baseline == 'trend+medians'
    x = read_record('119', EXCERPT_DIR).signal
    peaks = detect_r_peaks(x, 360.)
    probabilities = {}
    for baseline in ('trend+medians', 'medians'):
        model = tmp_path/f'{baseline}.keras'
        shutil.copy(shipped, model)
        write_model_info(model, dataclasses.replace(read_model_info(model), baseline=baseline))
        predictor = load_predictor(model)
        assert predictor.baseline == baseline
        _, probabilities[baseline], _ = classify_signal(x, predictor, r_peaks=peaks, progress=False)
        windows, features = beat_inputs(preprocess(x, baseline=baseline), peaks)
        np.testing.assert_array_equal(probabilities[baseline], predictor({'win': windows, 'feat': features}))
    # the two baselines give other inputs, so the card's choice matters
    assert not np.array_equal(probabilities['trend+medians'], probabilities['medians'])
    # a card written before the field existed reads as 'medians'
    card = json.loads(read_model_info(shipped).to_json()); del card['baseline']
    assert ModelInfo.from_json(json.dumps(card)).baseline == 'medians'
    bad = tmp_path/'bad.keras'
    shutil.copy(shipped, bad)
    write_model_info(bad, dataclasses.replace(read_model_info(bad), baseline='highpass'))
    proc = run_cli('predict', EXCERPT_DIR/'232.hea', '--model', bad, '--output', 'x.csv', cwd=tmp_path)
    assert_one_line_error(proc, "baseline 'highpass'")
    mixed = tmp_path/'mixed'
    mixed.mkdir()
    for name in ('trend+medians', 'medians'): shutil.copy(tmp_path/f'{name}.keras', mixed/f'{name}.keras')
    proc = run_cli('predict', EXCERPT_DIR/'232.hea', '--model', mixed, '--output', 'x.csv', cwd=tmp_path)
    assert_one_line_error(proc, 'an ensemble needs the same')
    assert not (tmp_path/'x.csv').exists()


def test_no_output_is_written_over_a_model_of_the_ensemble(tmp_path):
    "An output path that is one of the ensemble's model files (the shipped folder's, or another) is refused before any work."
    from ecg_nb.predict import DEFAULT_MODEL
    ensemble = tmp_path/'ensemble'
    shutil.copytree(DEFAULT_MODEL, ensemble)
    before = {p.name: p.read_bytes() for p in ensemble.iterdir()}
    for option in ('--output', '--summary'):
        proc = run_cli('predict', EXCERPT_DIR/'232.hea', '--model', ensemble, option, ensemble/'seed_2.keras', cwd=tmp_path)
        assert_one_line_error(proc, f'{option} {ensemble/"seed_2.keras"}', 'is the model this command reads')
    assert {p.name: p.read_bytes() for p in ensemble.iterdir()} == before

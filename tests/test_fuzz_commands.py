"""Generated bad input, at least 100 cases per command: truncations, byte flips, inserted garbage, NaN/inf, extreme
and zero values, wrong types, colliding paths.

The contract for every case: the command either succeeds with all of its outputs, or exits non-zero with exactly
one line on stderr (no traceback) and leaves every file as it was, with nothing added. Inputs that are certainly
invalid (option values out of range, truncated headers, ...) must be refused. Commands run in-process through
`ecg_nb.cli.main`, so that hundreds of cases take seconds; an exception escaping `main` is a traceback a user would
see, and fails the test."""
import contextlib
import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import run_cli
from ecg_nb.cli import main
from ecg_nb.data import EXCERPT_DIR, read_record
from test_no_data_loss import SEED_MODEL, snapshot

TOKENS = ['nan', 'inf', '-inf', '1e308', '-1e308', '', ',,,', '\x00\x00', 'abc', '１２３', '1,5', '0x10', '"', "'", ';',
          '\t\t', '9' * 400, '-0', 'None', '[]']


def mutations(data:bytes, n:int, seed:int)->list[tuple[str, bytes]]:
    "n reproducible damaged versions of `data`: truncated, bytes flipped, garbage inserted, a line replaced by a token."
    rng, out = np.random.default_rng(seed), []
    lines = data.split(b'\n')
    for i in range(n):
        kind = ('truncated', 'flipped', 'inserted', 'token')[i % 4]
        if kind == 'truncated': at = int(rng.integers(0, len(data))); damaged = data[:at]; what = f'truncated at {at}'
        elif kind == 'flipped':
            damaged = bytearray(data)
            for at in rng.integers(0, len(data), int(rng.integers(1, 9))): damaged[at] ^= int(rng.integers(1, 256))
            damaged, what = bytes(damaged), 'bytes flipped'
        elif kind == 'inserted':
            at = int(rng.integers(0, len(data))); junk = rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8).tobytes()
            damaged, what = data[:at] + junk + data[at:], f'{len(junk)} bytes inserted at {at}'
        else:
            row = int(rng.integers(0, len(lines))); token = TOKENS[int(rng.integers(0, len(TOKENS)))]
            damaged = b'\n'.join(lines[:row] + [token.encode()] + lines[row + 1:]); what = f'line {row} replaced by {token[:10]!r}'
        out.append((f'{i:03d} {what}', damaged))
    return out


def call(*argv, cwd):
    "Run `ecg_nb argv` in-process in `cwd`: (exit status, stdout, stderr)."
    out, err, here = io.StringIO(), io.StringIO(), os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try: status = main([str(a) for a in argv])
            except SystemExit as e: status = e.code  # argparse's refusals
    finally: os.chdir(here)
    return status, out.getvalue(), err.getvalue()


def check_contract(case, status, err, folder, before, outputs=(), must_fail=False):
    """Success with every output, or one line and nothing changed. The first case of each test is the intact input,
    which must succeed: a command that refused everything would otherwise pass."""
    errors = [l for l in err.strip().splitlines() if 'warning:' not in l]
    if case.startswith('intact'): assert status == 0, f'{case}: {err}'
    if status == 0:
        assert not must_fail, f'{case}: accepted'
        for path in outputs: assert (folder/path).is_file(), f'{case}: succeeded without writing {path}'
        return
    assert status in (1, 2), (case, status, err)
    assert len(errors) == 1 and 'Traceback' not in err, f'{case}: {err}'
    assert snapshot(folder) == before, f'{case}: files changed after a refusal ({errors[0]})'


# --- predict -------------------------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def predict_inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp('predict_inputs')
    signal = read_record('119', EXCERPT_DIR).signal[:360 * 40]
    pd.DataFrame({'time': np.arange(len(signal)) / 360, 'MLII': signal}).to_csv(folder/'ecg.csv', index=False, float_format='%.4f')
    for name in ('119.hea', '119.dat'): shutil.copy(EXCERPT_DIR/name, folder/name)
    shutil.copy(SEED_MODEL, folder/'model.keras')
    return folder


def predict_cases(inputs):
    cases = [('intact csv', {}, ['ecg.csv'], False), ('intact wfdb', {}, ['119.hea'], False)]
    for case, data in mutations((inputs/'ecg.csv').read_bytes(), 40, seed=1):
        cases.append((f'csv {case}', {'ecg.csv': data}, ['ecg.csv'], False))
    for case, data in mutations((inputs/'119.hea').read_bytes(), 20, seed=2):
        cases.append((f'header {case}', {'119.hea': data}, ['119.hea'], False))
    for case, data in mutations((inputs/'model.keras').read_bytes(), 20, seed=3):
        cases.append((f'model {case}', {'model.keras': data}, ['ecg.csv'], False))
    with open(inputs/'119.dat', 'rb') as f: dat = f.read()
    for at in (0, 1, 2, 1000, 60_000, 161_999):
        cases.append((f'signal truncated at {at}', {'119.dat': dat[:at]}, ['119.hea'], True))
    bad_options = [['--fs', v] for v in ('0', '-360', 'nan', 'inf', '1e9', 'abc', '')] + \
                  [['--chunk_s', v] for v in ('0', '-1', 'nan', 'inf', '1e-9', 'x')] + \
                  [['--scale', v] for v in ('0', 'nan', 'inf', '-inf')] + \
                  [['--column', v] for v in ('7', 'ECG', '-1', '')] + \
                  [['--lead', 'V9'], ['--output_fig', 'fig.txt'], ['--output_fig', 'fig'], ['--output', 'ecg.csv'],
                   ['--summary', 'model.keras'], ['--output', '.'], ['--r_peaks', 'missing.csv'], ['--r_peaks', 'ecg.csv'],
                   ['--model', 'missing.keras'], ['--model', 'ecg.csv'], ['--run', '.'], ['--run', 'nowhere']]
    for options in bad_options:
        source = '119.hea' if options[0] == '--lead' else 'ecg.csv'
        extra = [] if options[0] in ('--model', '--run') else ['--model', 'model.keras']
        cases.append((f'option {" ".join(options)!r}', {}, [source, *extra, *options], True))
    wrong_types = {'ecg.csv': b'\x89PNG\r\n\x1a\n' + bytes(100), 'ecg.mat': b'MATLAB 5.0 MAT-file' + bytes(200),
                   'ecg.txt': 'ünïcödé\n'.encode('utf-16'), 'ecg.hea': b'', 'ecg.json': b'{}'}
    for name, data in wrong_types.items(): cases.append((f'wrong type {name}', {name: data}, [name], True))
    return cases




def test_predict_contract_on_generated_bad_input(predict_inputs, tmp_path):
    cases = predict_cases(predict_inputs)
    assert len(cases) >= 100, len(cases)
    for case, files, args, must_fail in cases:
        folder = tmp_path/f'case{len(list(tmp_path.iterdir())):03d}'
        shutil.copytree(predict_inputs, folder)
        for name, data in files.items(): (folder/name).write_bytes(data)
        if '--model' not in args and '--run' not in args: args = [*args, '--model', 'model.keras']
        before = snapshot(folder)
        status, _, err = call('predict', *args, '--output', 'beats.csv', cwd=folder) if '--output' not in args else \
            call('predict', *args, cwd=folder)
        check_contract(case, status, err, folder, before, outputs=['beats.csv'] if '--output' not in args else [],
                       must_fail=must_fail)


# --- dataset, detect, verify, download: damaged database folders ------------------------------------------------

def database_cases():
    cases = [('intact', '100.hea', (EXCERPT_DIR/'100.hea').read_bytes())]
    for i, (name, size) in enumerate([('100.hea', 0), ('119.hea', 0), ('100.dat', 0), ('119.atr', 0)]):
        data = (EXCERPT_DIR/name).read_bytes()
        for case, damaged in mutations(data, 26, seed=10 + i): cases.append((f'{name} {case}', name, damaged))
    return cases


@pytest.fixture(scope='module')
def two_records(tmp_path_factory):
    folder = tmp_path_factory.mktemp('two_records')/'db'
    folder.mkdir()
    for name in ('100', '119'):
        for ext in ('hea', 'dat', 'atr'): shutil.copy(EXCERPT_DIR/f'{name}.{ext}', folder)
    (folder/'RECORDS').write_text('100\n119\n')
    return folder


@pytest.mark.parametrize('command', ['dataset', 'detect', 'verify'])
def test_database_commands_on_generated_damage(two_records, tmp_path, command):
    # verify holds two records against PhysioNet's whole list: even the intact copy fails it
    cases = database_cases()[1:] if command == 'verify' else database_cases()
    assert len(cases) >= 100
    for k, (case, name, damaged) in enumerate(cases):
        root = tmp_path/f'{k:03d}'
        shutil.copytree(two_records, root/'db')
        (root/'db'/name).write_bytes(damaged)
        before = snapshot(root)
        args = {'dataset': ['--no_cache', '--figure', 'out/beats.png'], 'detect': ['--output', 'out/scores.csv'],
                'verify': []}[command]
        status, _, err = call(command, '--data_dir', 'db', *args, cwd=root)
        # verify checks against PhysioNet's list: two records are never the whole database
        check_contract(f'{command} {case}', status, err, root, before, must_fail=command == 'verify',
                       outputs=[a for a in args if a.startswith('out/')])
        shutil.rmtree(root)


def test_download_on_generated_damage(two_records, tmp_path):
    # PhysioNet is unreachable here, so every download fails: the folder must stay exactly as it was
    cases = database_cases()[1:]
    for k, (case, name, damaged) in enumerate(cases):
        root = tmp_path/f'{k:03d}'
        shutil.copytree(two_records, root/'db')
        (root/'db'/name).write_bytes(damaged); (root/'db'/'my_notes.txt').write_text('mine')
        before = snapshot(root)
        status, _, err = call('download', '--data_dir', 'db', cwd=root)
        check_contract(f'download {case}', status, err, root, before, must_fail=True)
        shutil.rmtree(root)


# --- kfold, evaluate, report: damaged run folders and option values ---------------------------------------------

@pytest.fixture(scope='module')
def complete_run(tmp_path_factory):
    "A complete 2-fold run of two excerpt records (1 epoch), so that a resume which passes every check does no work."
    root = tmp_path_factory.mktemp('complete_run')
    shutil.copytree(EXCERPT_DIR, root/'db')
    proc = run_cli('kfold', '--data_dir', 'db', '--records', '100', '119', '--k', '2', '--epochs', '1', '--threads', '1',
                   '--no_html', '--run', 'run', cwd=root)
    assert proc.returncode == 0, proc.stderr
    return root


KFOLD = ['kfold', '--data_dir', 'db', '--records', '100', '119', '--k', '2', '--epochs', '1', '--threads', '1', '--no_html',
         '--run', 'run']


def run_file_cases(root):
    cases = [('intact', 'manifest.json', (root/'run'/'manifest.json').read_bytes())]
    for i, name in enumerate(['manifest.json', 'folds.npz', 'fold_0/metrics.json']):
        for case, damaged in mutations((root/'run'/name).read_bytes(), 25, seed=20 + i):
            cases.append((f'{name} {case}', name, damaged))
    return cases


def test_kfold_contract_on_generated_bad_input(complete_run, tmp_path):
    cases = [(case, name, damaged, []) for case, name, damaged in run_file_cases(complete_run)]
    bad = [('--k', v) for v in ('0', '1', '-3', '1000', 'x')] + [('--epochs', v) for v in ('0', '-1', '2.5')] + \
          [('--batch_size', v) for v in ('0', '-1')] + [('--lr', v) for v in ('0', '-1', 'nan', 'inf', '5')] + \
          [('--validation_fraction', v) for v in ('0', '1', '1.5', 'nan', '-0.1')] + \
          [('--jobs', '0'), ('--threads', '-1'), ('--early_stopping', '-1'), ('--split', 'random'), ('--scheme', 'x'),
           ('--folds', '5'), ('--records', 'nope'), ('--data_dir', 'nowhere'), ('--run', 'db'), ('--models_dir', 'db/100.hea')]
    cases += [(f'option {o} {v!r}', None, None, [o, v]) for o, v in bad]
    assert len(cases) >= 100
    for k, (case, name, damaged, options) in enumerate(cases):
        root = tmp_path/f'{k:03d}'
        shutil.copytree(complete_run, root)
        if name: (root/'run'/name).write_bytes(damaged)
        before = snapshot(root)
        status, out, err = call(*KFOLD, *options, cwd=root)
        if status == 0: assert 'complete, skipped' in out, f'{case}: trained again'  # a resume that passed every check
        check_contract(f'kfold {case}', status, err, root, before, must_fail=bool(options))
        shutil.rmtree(root)


@pytest.mark.parametrize('command', ['evaluate', 'report'])
def test_evaluate_and_report_on_generated_damage(complete_run, tmp_path, command):
    cases = run_file_cases(complete_run)
    for case, damaged in mutations((complete_run/'run'/'fold_1'/'model.keras').read_bytes(), 25, seed=30):
        cases.append((f'model {case}', 'fold_1/model.keras', damaged))
    assert len(cases) >= 100
    for k, (case, name, damaged) in enumerate(cases):
        root = tmp_path/f'{k:03d}'
        shutil.copytree(complete_run, root)
        (root/'run'/name).write_bytes(damaged)
        before = snapshot(root)
        status, _, err = call(command, '--run', 'run', *(['--no_html'] if command == 'report' else []), cwd=root)
        check_contract(f'{command} {case}', status, err, root, before, outputs=['run/report.md'] if command == 'report' else [],
                       must_fail=name == 'manifest.json' and 'truncated' in case)
        shutil.rmtree(root)

"""The seed's spellings: `make setup/train/eval/report/predict` and `repro.sh`, driven by the seed's variables."""
import os
import shlex
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from ecg_nb.data import EXCERPT_DIR

REPO = Path(__file__).resolve().parents[1]
SEED_VARIABLES = 'DATA_DIR MODELS_DIR LOGDIR FOLDS EPOCHS BATCH_SIZE LR SEED RUN ECG PREDICT_DIR DRY_RUN'.split()


def clean_env(**variables):
    "This environment without the seed's variables or an outer make's flags, plus `variables`."
    env = {k: v for k, v in os.environ.items() if k not in SEED_VARIABLES and k not in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL')}
    return {**env, **{k: str(v) for k, v in variables.items()}}


def make(*args, cwd=REPO, **variables):
    "Run `make -s` in the repository with `variables` on its command line."
    return subprocess.run(['make', '-s', '-C', str(REPO), *args, *[f'{k}={v}' for k, v in variables.items()]],
                          capture_output=True, text=True, env=clean_env(), cwd=cwd, timeout=900)


def commands(proc):
    "The commands repro.sh printed (its `+ ...` lines), as argument lists without the program."
    return [shlex.split(line[2:])[1:] for line in proc.stdout.splitlines() if line.startswith('+ ')]


def test_make_train_runs_the_seed_protocol():
    assert subprocess.run(['make', '-n', 'train'], capture_output=True, text=True, cwd=REPO,
                          env=clean_env()).stdout.splitlines()[-1] == './repro.sh train'
    proc = make('train', DRY_RUN=1, FOLDS=2, EPOCHS=1, BATCH_SIZE=64, LR='1e-3', SEED=7, DATA_DIR='excerpt',
                MODELS_DIR='out/models', LOGDIR='out/logs', RUN='out/run')
    assert proc.returncode == 0, proc.stderr
    assert commands(proc) == [['kfold', '--k', '2', '--split', 'stratified', '--epochs', '1', '--batch_size', '64',
                               '--lr', '1e-3', '--seed', '7', '--data_dir', 'excerpt', '--models_dir', 'out/models',
                               '--logdir', 'out/logs', '--run', 'out/run']]
    assert not (REPO/'out').exists()  # a dry run writes nothing


def test_seed_defaults():
    proc = make('train', 'eval', 'report', DRY_RUN=1)
    assert proc.returncode == 0, proc.stderr
    assert commands(proc) == [['kfold', '--k', '10', '--split', 'stratified', '--epochs', '30', '--batch_size', '128',
                               '--lr', '0.001', '--seed', '0', '--run', 'runs/stratified10'],
                              ['evaluate', '--run', 'runs/stratified10'], ['report', '--run', 'runs/stratified10']]
    # repro.sh alone does the three steps; ecg_nb itself picks the data folder when DATA_DIR is not set
    alone = subprocess.run([str(REPO/'repro.sh')], capture_output=True, text=True, env=clean_env(DRY_RUN=1, FOLDS=5))
    assert alone.returncode == 0, alone.stderr
    assert [c[0] for c in commands(alone)] == ['kfold', 'evaluate', 'report']
    assert commands(alone)[0][-2:] == ['--run', 'runs/stratified5']


@pytest.mark.parametrize('variable, value, says', [
    ('FOLDS', 'ten', 'FOLDS=ten: must be a whole number of at least 2'),
    ('FOLDS', '1', 'FOLDS=1: must be a whole number of at least 2'),
    ('EPOCHS', '0', 'EPOCHS=0: must be a whole number of at least 1'),
    ('BATCH_SIZE', '12.5', 'BATCH_SIZE=12.5: must be a whole number of at least 1'),
    ('SEED', '-1', 'SEED=-1: must be a whole number of at least 0'),
    ('LR', '0', 'LR=0: must be a positive number'),
    ('LR', '1e-3x', 'LR=1e-3x: must be a positive number'),
    ('DATA_DIR', '/no/such/folder', 'DATA_DIR=/no/such/folder: no such folder'),
    ('DRY_RUN', 'yes', 'DRY_RUN=yes: must be 0 or 1'),
])
def test_repro_refuses_bad_values_in_one_line(tmp_path, variable, value, says):
    proc = subprocess.run([str(REPO/'repro.sh')], capture_output=True, text=True, cwd=tmp_path,
                          env=clean_env(**{variable: value}))
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f'repro.sh: {says}'), proc.stderr
    assert proc.stdout == ''
    assert list(tmp_path.iterdir()) == []  # nothing ran, nothing written


def test_repro_refuses_unknown_step_and_missing_ecg(tmp_path):
    for args, env, says in [(['train', 'evaluate'], {}, "unknown step 'evaluate'"),
                            (['predict'], {}, 'predict needs ECG=<file>'),
                            (['predict'], {'ECG': tmp_path/'none.csv'}, 'none.csv: no such file')]:
        proc = subprocess.run([str(REPO/'repro.sh'), *args], capture_output=True, text=True, env=clean_env(**env))
        assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1 and says in proc.stderr, proc.stderr
        assert proc.stdout == ''  # refused before the first step


def test_repro_never_deletes():
    text = (REPO/'repro.sh').read_text()
    assert text.startswith('#!/usr/bin/env bash\n') and '\nset -euo pipefail\n' in text
    code = '\n'.join(line for line in text.splitlines() if not line.lstrip().startswith('#'))
    for word in ('rm ', 'rmdir', 'unlink', 'shred', 'mv ', 'find '): assert word not in code


def test_make_train_eval_report_predict_on_the_excerpt(tmp_path):
    "One real run of the seed's targets: 2 folds of 1 epoch on the excerpt, then eval, report and predict."
    run, models, logs, predictions = tmp_path/'run', tmp_path/'models', tmp_path/'logs', tmp_path/'predictions'
    seed = dict(FOLDS=2, EPOCHS=1, BATCH_SIZE=64, DATA_DIR='excerpt', RUN=run)
    proc = make('train', MODELS_DIR=models, LOGDIR=logs, **seed)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert sorted(p.name for p in models.iterdir()) == ['fold_0.keras', 'fold_1.keras']
    assert any(logs.rglob('*tfevents*'))
    for fold in (0, 1): assert (run/f'fold_{fold}'/f'fold_{fold}.ipynb').is_file()

    proc = make('eval', **seed)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert commands(proc) == [['evaluate', '--run', str(run)]]
    proc = make('report', **seed)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = (run/'report.md').read_text()
    assert '`stratified`, 2 fold(s); 2 of 2 complete' in report and 'at most 1 epoch(s), batch 64' in report
    assert (run/'report.html').is_file()

    predictions.mkdir()
    proc = make('predict', ECG=EXCERPT_DIR/'100.hea', PREDICT_DIR=predictions, **seed)
    assert proc.returncode == 0, proc.stderr[-3000:]
    beats = pd.read_csv(predictions/'100_beats.csv')
    assert len(beats) > 100 and set(beats['class']) <= set('NLRAV')


def test_make_uses_an_active_environment_that_has_ecg_nb(tmp_path):
    # make docs (and test, demo ...) in an activated environment with ecg_nb: that environment, nothing installed
    import sys
    env = {k: v for k, v in clean_env().items() if k != 'VIRTUAL_ENV'}
    active = subprocess.run(['make', '-n', 'docs'], capture_output=True, text=True, cwd=REPO,
                            env={**env, 'VIRTUAL_ENV': sys.prefix}).stdout
    assert f'{sys.prefix}/bin/python tools/build_docs.py --out _docs' in active and 'pip install' not in active
    # an active environment without ecg_nb is left alone: the project's own .venv is made and used
    bare = tmp_path/'bare'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(bare)], check=True)
    fresh = subprocess.run(['make', '-n', 'docs', 'VENV=' + str(tmp_path/'own')], capture_output=True, text=True, cwd=REPO,
                           env={**env, 'VIRTUAL_ENV': str(bare)}).stdout
    assert 'pip install' in fresh and str(bare) not in fresh

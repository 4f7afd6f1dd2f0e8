"""`ecg_nb kfold` end to end on the embedded excerpt: outputs, parallel folds, a killed run resumed, bad input."""
import json
import os
import signal
import subprocess
import time

import pandas as pd

from conftest import ECG_NB, run_cli

KFOLD = ['kfold', '--data_dir', 'excerpt', '--k', '2', '--epochs', '1', '--threads', '1']


def test_kfold_writes_a_complete_report_per_fold(tmp_path):
    run = tmp_path/'run'
    proc = run_cli(*KFOLD, '--jobs', '2', '--run', run, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert '2 fold(s) complete; intra-patient (beat-level) accuracy' in proc.stdout
    manifest = json.loads((run/'manifest.json').read_text())
    assert manifest['parameters']['k'] == 2 and manifest['protocol'] == 'intra-patient (beat-level)'
    assert {'python', 'numpy', 'keras', 'tensorflow', 'wfdb'} <= set(manifest['versions'])
    assert len(manifest['data_checksums']) == 15 and set(manifest['folds']) == {'0', '1'}
    seen = 0
    for fold in (0, 1):
        folder = run/f'fold_{fold}'
        assert {'fold_%d.ipynb' % fold, 'fold_%d.html' % fold, 'model.keras', 'predictions.csv', 'metrics.json',
                'history.csv', 'logs'} <= {p.name for p in folder.iterdir()}
        assert not (folder/'progress.json').exists()  # kept only while the fold trains
        metrics = json.loads((folder/'metrics.json').read_text())
        predictions = pd.read_csv(folder/'predictions.csv', dtype={'record': str})
        assert len(predictions) == metrics['n_test'] and metrics['n_train'] + metrics['n_test'] == 1896
        assert (predictions.predicted == predictions.true).mean() == metrics['accuracy']
        seen += len(predictions)
        report = (folder/f'fold_{fold}.ipynb').read_text()
        assert ''.join(json.loads(report)['cells'][0]['source']).startswith("## A fold's report")  # the report part only
        assert 'Fold %d of 2: accuracy' % fold in report and str(tmp_path) not in report  # no machine paths
        assert '.tmp' not in report  # nor the temporary name of the report being written
    assert seen == 1896  # every beat tested exactly once
    assert not list(run.glob('*.partial'))


def test_killed_run_resumes_without_redoing_finished_folds(tmp_path):
    run = tmp_path/'run'
    args = [str(ECG_NB), *KFOLD, '--epochs', '3', '--run', str(run), '--no_html']
    proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:  # wait until fold 0 is complete and fold 1 is under way, then kill everything mid-fold
        deadline = time.time() + 300
        while not ((run/'fold_0'/'metrics.json').exists() and (run/'fold_1.partial').exists()):
            assert proc.poll() is None, 'the run ended before it could be interrupted'
            assert time.time() < deadline, 'fold 1 never started'
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not (run/'fold_1').exists() and (run/'fold_1.partial').exists()  # killed: fold 1 is not complete
    finished = (run/'fold_0'/'metrics.json').stat().st_mtime_ns

    proc = run_cli(*KFOLD, '--epochs', '3', '--run', run, '--no_html', cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert 'fold 0: complete, skipped' in proc.stdout and 'fold 1: done' in proc.stdout
    assert (run/'fold_0'/'metrics.json').stat().st_mtime_ns == finished  # not redone
    assert (run/'fold_1'/'metrics.json').is_file() and not (run/'fold_1.partial').exists()


def test_rerun_with_other_parameters_is_refused(tmp_path):
    run = tmp_path/'run'
    assert run_cli(*KFOLD, '--folds', '0', '--run', run, '--no_html', cwd=tmp_path).returncode == 0
    proc = run_cli(*KFOLD, '--folds', '0', '--run', run, '--lr', '0.01', cwd=tmp_path)
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1
    assert 'started with other parameters (lr: 0.001 then, 0.01 now)' in proc.stderr


def test_bad_fold_and_split_settings(tmp_path):
    proc = run_cli(*KFOLD, '--folds', '7', '--run', tmp_path/'run', cwd=tmp_path)
    assert proc.returncode == 1 and 'there is no fold 7' in proc.stderr
    proc = run_cli('kfold', '--data_dir', 'excerpt', '--k', '6', '--split', 'record', '--run', tmp_path/'r2', cwd=tmp_path)
    assert proc.returncode == 1 and 'needs at least k=6 subjects' in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_evaluate_and_report_from_a_run(tmp_path):
    run = tmp_path/'run'
    assert run_cli(*KFOLD, '--jobs', '2', '--run', run, '--no_html', cwd=tmp_path).returncode == 0
    proc = run_cli('evaluate', '--run', run, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert 'intra-patient (beat-level) results, 2 of 2 folds' in proc.stdout
    evaluation = json.loads((run/'evaluation'/'metrics.json').read_text())
    assert evaluation['check']['largest_probability_difference_from_saved'] < 1e-4  # models reproduce their predictions
    assert evaluation['pooled']['n'] == 1896
    assert {'confusion_pooled.png', 'confusion_fold_0.png', 'classification_report.md'} <= {p.name for p in (run/'evaluation').iterdir()}
    proc = run_cli('report', '--run', run, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = (run/'report.md').read_text()
    assert '**Protocol: intra-patient (beat-level).**' in report and 'Oh et al. 2018' in report
    assert str(tmp_path) not in report + (run/'report.html').read_text() + (run/'report.ipynb').read_text()


def test_report_of_a_folder_that_is_not_a_run(tmp_path):
    proc = run_cli('report', '--run', tmp_path)
    assert proc.returncode == 1 and 'not a k-fold run folder (no manifest.json)' in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_inter_patient_report_says_so(tmp_path):
    run = tmp_path/'run'
    assert run_cli(*KFOLD, '--split', 'record', '--jobs', '2', '--run', run, '--no_html', cwd=tmp_path).returncode == 0
    proc = run_cli('report', '--run', run, '--no_html', cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = (run/'report.md').read_text()
    assert '**Protocol: inter-patient (subject-level).**' in report
    assert 'not comparable' in report and '| Oh et al. 2018' not in report  # no side-by-side with intra-patient numbers


def test_seed_options_synthetic_models_dir_logdir(tmp_path):
    run = tmp_path/'run'
    proc = run_cli('kfold', '--synthetic', '--synthetic_n', '300', '--k', '2', '--epochs', '2', '--early_stopping', '1',
                   '--seed', '3', '--threads', '1', '--models_dir', tmp_path/'models', '--logdir', tmp_path/'tb',
                   '--run', run, '--no_html', cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((run/'manifest.json').read_text())
    assert manifest['parameters']['synthetic'] and manifest['parameters']['seed'] == 3
    assert manifest['data_checksums'] == {'synthetic': 'synthetic_dataset(n=300, seed=3)'}
    assert sorted(p.name for p in (tmp_path/'models').iterdir()) == ['fold_0.keras', 'fold_1.keras']
    assert list((tmp_path/'tb'/'fold_0').rglob('events.out.tfevents.*'))
    assert json.loads((run/'fold_0'/'metrics.json').read_text())['n_test'] == 150


def test_report_when_the_runs_data_is_gone(tmp_path, excerpt_copy):
    run = tmp_path/'run'
    assert run_cli(*KFOLD[:2], excerpt_copy, *KFOLD[3:], '--folds', '0', '--run', run, '--no_html',
                   cwd=tmp_path).returncode == 0
    for f in excerpt_copy.iterdir(): f.unlink()
    excerpt_copy.rmdir()
    proc = run_cli('report', '--run', run, '--no_html', cwd=tmp_path)
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert 'no such database folder' in proc.stderr  # found before the report's notebook runs
    assert not (run/'report.ipynb').exists() and not (run/'report.md').exists()


def test_a_fold_run_by_hand_keeps_the_run_folder_consistent(tmp_path):
    # papermill by hand, as README shows it: the run settings default to the CLI's (RunConfig), a new run folder gets
    # its manifest, and a fold into an existing run with other settings is refused before it writes anything
    import sys
    from ecg_nb.kfold import RunConfig, kfold_template
    papermill = [sys.executable, '-m', 'papermill', str(kfold_template()), '--no-progress-bar']
    settings = ['-p', 'data_dir', 'excerpt', '-p', 'k', '2', '-p', 'epochs', '1', '-p', 'threads', '1']
    run = tmp_path/'run'
    proc = subprocess.run([*papermill, str(tmp_path/'fold_0.ipynb'), '-p', 'fold', '0', '-p', 'run_dir', str(run), *settings],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    manifest = json.loads((run/'manifest.json').read_text())
    assert manifest['parameters'] == RunConfig(data_dir='excerpt', k=2, epochs=1).to_json()
    assert (run/'fold_0'/'model.keras').is_file() and not (run/'fold_1').exists()
    proc = subprocess.run([*papermill, str(tmp_path/'fold_1.ipynb'), '-p', 'fold', '1', '-p', 'run_dir', str(run), *settings,
                           '-p', 'lr', '0.01'], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode != 0 and 'this run was started with other parameters (lr: 0.001 then, 0.01 now)' in proc.stderr
    assert not (run/'fold_1').exists() and json.loads((run/'manifest.json').read_text()) == manifest
    # the CLI resumes the run that papermill began: fold 0 is complete, fold 1 is trained
    proc = run_cli(*KFOLD, '--run', run, cwd=tmp_path)
    assert proc.returncode == 0 and 'fold 0: complete, skipped' in proc.stdout, proc.stderr

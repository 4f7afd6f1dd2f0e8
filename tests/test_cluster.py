"""`ecg_nb kfold --scheduler` and `ecg_nb sweep` end to end on the excerpt, on a Dask scheduler and workers started
here on 127.0.0.1 (loopback is the only kind of cluster tested): the same predictions as a local run, a worker killed
mid-fold, a worker whose data differ, the cluster going away, a small sweep with its summary, and bad options."""
import contextlib
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip('distributed', reason='the cluster extra (dask[distributed]) is not installed')
import psutil

from conftest import ECG_NB, assert_one_line_error, run_cli

DASK = Path(sys.executable).parent/'dask'
KFOLD = ['kfold', '--data_dir', 'excerpt', '--k', '2', '--epochs', '1', '--threads', '1']


def free_port()->int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def stop(proc:subprocess.Popen):
    "Kill a process and everything it started (a worker's fold kernels run in sessions of their own)."
    try: family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess: family = []
    for p in family:
        with contextlib.suppress(psutil.NoSuchProcess): p.kill()
    proc.wait(timeout=30)


class Cluster:
    "`dask scheduler` and `dask worker --nworkers 1 --nthreads 1` processes on 127.0.0.1, on free ports."
    def __init__(self, folder:Path, workers:list[dict]):
        self.folder, self.address = folder, f'tcp://127.0.0.1:{free_port()}'
        self.scheduler = self._start('scheduler', [str(DASK), 'scheduler', '--host', '127.0.0.1', '--port',
                                                   self.address.rsplit(':', 1)[1], '--no-dashboard'], {})
        self.workers, self.worker_addresses = [], []
        for i, env in enumerate(workers):
            port = free_port()
            self.worker_addresses.append(f'tcp://127.0.0.1:{port}')
            self.workers.append(self._start(f'worker{i}', [str(DASK), 'worker', self.address, '--nworkers', '1', '--nthreads', '1',
                                                           '--host', '127.0.0.1', '--worker-port', str(port), '--no-dashboard',
                                                           '--local-directory', str(folder/f'worker{i}')], env))
        from distributed import Client
        with Client(self.address, timeout=60) as client: client.wait_for_workers(len(workers), timeout=120)

    def _start(self, name, argv, env):
        log = open(self.folder/f'{name}.log', 'w')
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env}, start_new_session=True)

    def close(self):
        for proc in [*self.workers, self.scheduler]: stop(proc)


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    "A scheduler and two workers, for the tests that leave them running."
    cluster = Cluster(tmp_path_factory.mktemp('cluster'), [{}, {}])
    yield cluster
    cluster.close()


@pytest.fixture
def own_cluster(tmp_path):
    "Make a cluster that this test may damage; stopped after it."
    made = []
    def make(workers): made.append(Cluster(tmp_path, workers)); return made[-1]
    yield make
    for cluster in made: cluster.close()


def lines_of(proc:subprocess.Popen)->queue.Queue:
    "The lines a running command prints, as they come."
    lines = queue.Queue()
    def read():
        for line in proc.stdout: lines.put(line.rstrip('\n'))
    threading.Thread(target=read, daemon=True).start()
    return lines


def wait_for_line(lines:queue.Queue, proc:subprocess.Popen, starts:str, timeout:float=180)->str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try: line = lines.get(timeout=1)
        except queue.Empty:
            assert proc.poll() is None, 'the command ended first'
            continue
        if line.startswith(starts) or starts in line: return line
    raise AssertionError(f'no line with {starts!r} within {timeout} s')


def injected_parameters(report:Path)->str:
    return next(''.join(c['source']) for c in json.loads(report.read_text())['cells']
                if 'injected-parameters' in c['metadata'].get('tags', []))


def test_folds_on_a_cluster_equal_a_local_run(cluster, tmp_path):
    (tmp_path/'here').mkdir(), (tmp_path/'there').mkdir()
    local = run_cli(*KFOLD, '--jobs', '2', '--no_html', '--run', 'run', cwd=tmp_path/'here')
    assert local.returncode == 0, local.stderr
    proc = run_cli(*KFOLD, '--run', 'run', '--scheduler', cluster.address, cwd=tmp_path/'there')
    assert proc.returncode == 0, proc.stderr
    assert f'Dask scheduler {cluster.address}: 2 worker(s)' in proc.stdout and '2 fold(s) complete' in proc.stdout
    here, there = tmp_path/'here'/'run', tmp_path/'there'/'run'
    manifest = json.loads((there/'manifest.json').read_text())
    assert {f['worker'] for f in manifest['folds'].values()} <= set(cluster.worker_addresses)
    for fold in (0, 1):
        # the same seed, CPU, deterministic ops: the same predictions, to the last digit
        assert (here/f'fold_{fold}'/'predictions.csv').read_bytes() == (there/f'fold_{fold}'/'predictions.csv').read_bytes()
        assert (json.loads((here/f'fold_{fold}'/'metrics.json').read_text())['confusion']
                == json.loads((there/f'fold_{fold}'/'metrics.json').read_text())['confusion'])
        report = there/f'fold_{fold}'/f'fold_{fold}.ipynb'
        # the report gives the run's own parameters, as a local run's does, and no worker's paths
        assert injected_parameters(report) == injected_parameters(here/f'fold_{fold}'/f'fold_{fold}.ipynb')
        assert str(tmp_path) not in report.read_text() and 'ecg_nb_fold_' not in report.read_text()
        assert (there/f'fold_{fold}'/f'fold_{fold}.html').is_file()
        assert {'model.keras', 'history.csv', 'logs'} <= {p.name for p in (there/f'fold_{fold}').iterdir()}
    assert not list(there.glob('*.partial'))
    again = run_cli(*KFOLD, '--run', 'run', '--scheduler', cluster.address, cwd=tmp_path/'there')
    assert again.returncode == 0 and again.stdout.count('complete, skipped') == 2, again.stdout + again.stderr


def test_a_worker_killed_mid_fold(own_cluster, tmp_path):
    cluster = own_cluster([{}, {}])
    victim = cluster.worker_addresses[1]
    proc = subprocess.Popen([str(ECG_NB), *KFOLD, '--epochs', '2', '--no_html', '--run', 'run', '--scheduler', cluster.address],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = lines_of(proc)
    line = wait_for_line(lines, proc, f'running on {victim}')
    fold = int(line.split()[1].rstrip(':'))
    time.sleep(3)  # its kernel is starting or training
    stop(cluster.workers[1])  # the worker, its nanny and the fold's kernel
    assert not (tmp_path/'run'/f'fold_{fold}').exists()
    survivor = cluster.worker_addresses[0]
    wait_for_line(lines, proc, f'fold {fold}: running on {survivor}')  # started again on the other worker
    assert proc.wait(timeout=300) == 0, proc.stderr.read()
    run = tmp_path/'run'
    manifest = json.loads((run/'manifest.json').read_text())
    assert sorted(manifest['folds']) == ['0', '1'] and manifest['folds'][str(fold)]['worker'] == survivor
    tested = pd.concat([pd.read_csv(run/f'fold_{f}'/'predictions.csv', dtype={'record': str}) for f in (0, 1)])
    assert len(tested) == 1896 and not tested.duplicated(['record', 'r_sample']).any()  # every fold once, every beat once
    assert sorted(p.name for p in run.iterdir()) == ['.lock', 'fold_0', 'fold_1', 'folds.npz', 'manifest.json']


def test_a_worker_whose_data_differ_fails_its_fold(own_cluster, tmp_path, excerpt_copy):
    changed = tmp_path/'changed'
    shutil.copytree(excerpt_copy, changed)
    signal_bytes = bytearray((changed/'100.dat').read_bytes())
    signal_bytes[5000] ^= 1  # one byte
    (changed/'100.dat').write_bytes(bytes(signal_bytes))
    cluster = own_cluster([{'ECG_NB_DATA': str(changed)}])  # the worker's own copy
    proc = run_cli(*KFOLD[:2], excerpt_copy, *KFOLD[3:], '--run', 'run', '--scheduler', cluster.address, cwd=tmp_path)
    assert_one_line_error(proc, 'fold(s) failed; first: fold ', f'on {cluster.worker_addresses[0]}: data folder {changed}: '
                          'the data differ from those this run was made with (1 file(s), first: 100.dat)')
    assert sorted(p.name for p in (tmp_path/'run').iterdir()) == ['.lock', 'folds.npz', 'manifest.json']  # no fold, no half fold


def test_the_cluster_going_away(own_cluster, tmp_path):
    cluster = own_cluster([{}])
    proc = subprocess.Popen([str(ECG_NB), *KFOLD, '--no_html', '--run', 'run', '--scheduler', cluster.address],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_line(lines_of(proc), proc, 'running on')
    stop(cluster.scheduler)
    assert proc.wait(timeout=120) == 1
    stderr = proc.stderr.read()
    assert len(stderr.strip().splitlines()) == 1 and 'Traceback' not in stderr, stderr
    assert f'Dask scheduler {cluster.address}: the cluster went away (0 of 2 fold(s) written' in stderr, stderr
    assert 'rerun the same command to resume' in stderr
    assert sorted(p.name for p in (tmp_path/'run').iterdir()) == ['.lock', 'folds.npz', 'manifest.json']


def test_a_sweep_on_the_cluster(cluster, tmp_path):
    sweep = ['sweep', '--grid', 'lr=0.001,0.003', '--data_dir', 'excerpt', '--k', '2', '--epochs', '1', '--threads', '1',
             '--no_html', '--sweep', 'sweep']
    proc = run_cli(*sweep, '--scheduler', cluster.address, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count('written)') == 4 and 'sweep: 2 configuration(s); best by macro F1: ' in proc.stdout
    folder = tmp_path/'sweep'
    names = ['0_lr=0.001', '1_lr=0.003']
    assert json.loads((folder/'sweep.json').read_text())['grid'] == {'lr': [0.001, 0.003]}
    for name in names:  # each an ordinary k-fold run
        manifest = json.loads((folder/name/'manifest.json').read_text())
        assert manifest['parameters']['lr'] == float(name.split('=')[1]) and sorted(manifest['folds']) == ['0', '1']
    summary = pd.read_csv(folder/'summary.csv')
    assert sorted(summary.run) == names and summary.folds.tolist() == [2, 2]
    assert summary.macro_f1_mean.is_monotonic_decreasing
    metrics = [json.loads((folder/names[0]/f'fold_{f}'/'metrics.json').read_text())['accuracy'] for f in (0, 1)]
    assert summary.set_index('run').accuracy_mean[names[0]] == pytest.approx(sum(metrics) / 2)
    markdown = (folder/'summary.md').read_text()
    assert '| 2 of 2 ' in markdown and ' ± ' in markdown and 'best macro F1 first' in markdown
    report = json.loads((folder/'summary.ipynb').read_text())
    assert any('image/png' in o.get('data', {}) for c in report['cells'] for o in c.get('outputs', []))  # the figure
    assert str(tmp_path) not in (folder/'summary.ipynb').read_text()
    # resumed here, without the cluster: nothing to redo, the summary written again, sorted by another score
    again = run_cli(*sweep, '--sort_by', 'accuracy', cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count('complete, skipped') == 4 and 'best by accuracy' in again.stdout
    assert pd.read_csv(folder/'summary.csv').accuracy_mean.is_monotonic_decreasing
    other = run_cli(*sweep[:2], 'lr=0.001,0.01', *sweep[3:], cwd=tmp_path)
    assert_one_line_error(other, 'sweep.json: this sweep was started with other settings', 'use a new sweep folder')


def test_bad_cluster_options(tmp_path):
    assert_one_line_error(run_cli(*KFOLD, '--scheduler', f'tcp://127.0.0.1:{free_port()}', '--run', 'run', cwd=tmp_path),
                          'no Dask scheduler answers there')
    assert not (tmp_path/'run').exists()  # nothing made
    assert_one_line_error(run_cli(*KFOLD, '--scheduler', 'tcp://127.0.0.1:8786', '--jobs', '2', cwd=tmp_path),
                          "--jobs 2: with --scheduler tcp://127.0.0.1:8786 the cluster's workers decide")
    assert_one_line_error(run_cli(*KFOLD, '--worker_data_dir', '/data', cwd=tmp_path), '--worker_data_dir /data: only with --scheduler')
    assert_one_line_error(run_cli(*KFOLD, '--scheduler', 'local', '--retries', '-1', cwd=tmp_path), '--retries -1: must be 0 or more')
    assert_one_line_error(run_cli('sweep', '--grid', 'lr=0.001,2', cwd=tmp_path), '--grid: --lr 2.0: must be a learning rate')
    assert_one_line_error(run_cli('sweep', '--grid', 'lr=0.001', '--lr', '0.01', cwd=tmp_path), '--lr 0.01: also in --grid')
    assert_one_line_error(run_cli('sweep', '--grid', 'speed=1', cwd=tmp_path), '--grid speed=1: no setting speed')
    assert not list(tmp_path.iterdir())

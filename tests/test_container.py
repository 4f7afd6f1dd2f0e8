"""The container: build the image on a Debian base made from Debian's packages alone, run the demo in it.

Opt-in (it installs TensorFlow into an image, several minutes): ECG_NB_CONTAINER_TEST=1, as root, with podman,
runc and mmdebstrap installed (`apt-get install podman runc mmdebstrap`). The base image is made once with
mmdebstrap and `podman import` and then reused; ECG_NB_CONTAINER_BASE names another base image instead.
Containers run with `--runtime runc` and lowered limits, which these machines need; ECG_NB_PODMAN_LIMITS
replaces the limits elsewhere.
"""
import json
import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
IMAGE = 'localhost/ecg_nb:test'
DEBIAN_BASE = 'localhost/ecg_nb-base:bookworm'
PODMAN = ['podman', '--runtime', 'runc']
LIMITS = shlex.split(os.environ.get('ECG_NB_PODMAN_LIMITS', '--ulimit nofile=1024:1024 --ulimit nproc=1000:1000'))
CA_BUNDLE = Path('/etc/ssl/certs/ca-certificates.crt')  # the host's CAs, for pip behind a re-signing proxy

pytestmark = pytest.mark.skipif(os.environ.get('ECG_NB_CONTAINER_TEST') != '1',
                                reason='container test is opt-in: set ECG_NB_CONTAINER_TEST=1 (needs root, podman, '
                                       'runc, mmdebstrap and several minutes)')


def sh(*args, timeout=1800, **kwargs):
    "Run a command, fail the test with its output if it fails; return the completed process."
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, **kwargs)
    assert proc.returncode == 0, f'{shlex.join(map(str, args))} exited {proc.returncode}:\n' \
                                 f'{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}'
    return proc


def podman_run(out, *command, env=()):
    "Run `command` in the image with `out` mounted at /out; the dataset cache lives there too."
    envs = [a for k, v in dict(env, ECG_NB_CACHE='/out/cache').items() for a in ('-e', f'{k}={v}')]
    return sh(*PODMAN, 'run', '--rm', *LIMITS, '-v', f'{out}:/out', *envs, IMAGE, *command)


@pytest.fixture(scope='module')
def image():
    "Build the image from the Debian base (made first if missing); yields what the build took."
    for tool in ('podman', 'runc', 'mmdebstrap'):
        if not shutil.which(tool): pytest.fail(f'ECG_NB_CONTAINER_TEST=1 but {tool} is missing: '
                                               'apt-get install podman runc mmdebstrap')
    timings = {}
    base = os.environ.get('ECG_NB_CONTAINER_BASE', DEBIAN_BASE)
    if base == DEBIAN_BASE and subprocess.run(['podman', 'image', 'exists', base]).returncode != 0:
        start = time.monotonic()
        rootfs = subprocess.Popen(['mmdebstrap', '--variant=minbase', '--include=python3,python3-venv,ca-certificates',
                                   'bookworm', '-'], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        sh('podman', 'import', '--change', 'CMD ["/bin/bash"]', '-', base, stdin=rootfs.stdout)
        assert rootfs.wait() == 0, 'mmdebstrap failed'
        timings['debian base (mmdebstrap, podman import)'] = time.monotonic() - start
    cert = ['--volume', f'{CA_BUNDLE}:/etc/pip-ca.crt:ro', '--build-arg', 'PIP_CERT=/etc/pip-ca.crt'] \
        if CA_BUNDLE.is_file() else []
    start = time.monotonic()
    sh(*PODMAN, 'build', *LIMITS, *cert, '--build-arg', f'BASE_IMAGE={base}', '-t', IMAGE, REPO)
    timings['podman build'] = time.monotonic() - start
    yield timings


def test_image_settings_default_command_and_contents(image):
    config = json.loads(sh('podman', 'image', 'inspect', IMAGE).stdout)[0]['Config']
    assert 'TF_CPP_MIN_LOG_LEVEL=2' in config['Env']
    assert config['Cmd'] == ['ecg_nb', '--help']
    # the default command prints the CLI's help; the build context held only the package and its notebooks
    out = sh(*PODMAN, 'run', '--rm', *LIMITS, IMAGE).stdout
    assert 'kfold' in out and 'predict' in out
    listing = sh(*PODMAN, 'run', '--rm', *LIMITS, IMAGE, 'ls', '-a', '/opt/ecg_nb').stdout.split()
    assert sorted(listing) == sorted(['.', '..', 'MANIFEST.in', 'README.md', 'ecg_nb', 'ecg_nb.egg-info', 'ecgclf.py', 'nbs',
                                      'repro.sh', 'settings.ini', 'setup.py'])
    size = json.loads(sh('podman', 'image', 'inspect', IMAGE).stdout)[0]['Size']
    print(f'\nimage {IMAGE}: {size/1e9:.2f} GB; ' + '; '.join(f'{k} {v:.0f} s' for k, v in image.items()))


def test_demo_in_the_container(image, tmp_path):
    "`make demo` on the embedded excerpt, inside the image: dataset, detector scores, a 2-fold run and its report."
    out = tmp_path/'out'
    out.mkdir()
    start = time.monotonic()
    proc = podman_run(out, 'ecg_nb', 'dataset', '--data_dir', 'excerpt', '--figure', '/out/beats_per_class.png')
    assert 'N:   1,020' in proc.stdout and 'V:     122' in proc.stdout
    assert (out/'beats_per_class.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'

    podman_run(out, 'ecg_nb', 'detect', '--data_dir', 'excerpt', '--output', '/out/r_peak_scores.csv')
    scores = pd.read_csv(out/'r_peak_scores.csv', index_col='record', dtype={'record': str})
    assert list(scores.index) == ['100', '119', '209', '214', '232', 'total']
    assert scores.loc['total', 'sensitivity'] > 0.995

    # the seed's way: repro.sh with its variables (kfold 2 folds x 1 epoch, evaluate, report)
    proc = podman_run(out, 'repro.sh', env=dict(FOLDS=2, EPOCHS=1, BATCH_SIZE=64, DATA_DIR='excerpt',
                                                RUN='/out/excerpt2'))
    assert '+ /opt/venv/bin/ecg_nb kfold --k 2 --split stratified --epochs 1' in proc.stdout
    for fold in (0, 1):
        metrics = json.loads((out/'excerpt2'/f'fold_{fold}'/'metrics.json').read_text())
        assert 0 < metrics['accuracy'] <= 1
        assert (out/'excerpt2'/f'fold_{fold}'/f'fold_{fold}.html').is_file()
    report = (out/'excerpt2'/'report.md').read_text()
    assert '`stratified`, 2 fold(s); 2 of 2 complete' in report and 'at most 1 epoch(s), batch 64' in report
    assert (out/'excerpt2'/'report.html').is_file()
    print(f'\ndemo in the container: {time.monotonic() - start:.0f} s')

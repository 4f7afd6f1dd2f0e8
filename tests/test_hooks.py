"""The commit hook that keeps notebooks clean: `make hooks` (part of `make install`) and .githooks/pre-commit,
exercised in a temporary clone of this repository, as a notebook saved by JupyterLab would be committed."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NBDEV_BIN = Path(sys.executable).parent  # nbdev_clean and nbdev_export of this environment
# files this test exercises, taken from the work tree so that uncommitted edits to them are what is tested
HOOK_FILES = ['Makefile', '.githooks/pre-commit']


def git_env(**extra):
    "An environment isolated from the user's git configuration, with nbdev on the PATH and an author."
    env = {k: v for k, v in os.environ.items() if not k.startswith(('GIT_', 'MAKE', 'MFLAGS'))}
    return {**env, 'GIT_CONFIG_GLOBAL': os.devnull, 'GIT_CONFIG_NOSYSTEM': '1', 'GIT_AUTHOR_NAME': 'test',
            'GIT_AUTHOR_EMAIL': 'test@example.org', 'GIT_COMMITTER_NAME': 'test',
            'GIT_COMMITTER_EMAIL': 'test@example.org', 'PATH': f'{NBDEV_BIN}{os.pathsep}{env["PATH"]}', **extra}


def run(cwd, *args, check=True):
    proc = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=git_env(), timeout=300)
    if check: assert proc.returncode == 0, f'{args}: {proc.stdout}\n{proc.stderr}'
    return proc


def git(cwd, *args, check=True): return run(cwd, 'git', *args, check=check)


@pytest.fixture
def clone(tmp_path):
    "A clone of this repository with this work tree's hook files committed, and no .git/hooks folder at all."
    path = tmp_path/'clone'
    git(tmp_path, 'clone', '--quiet', REPO, path)
    for name in HOOK_FILES:
        (path/name).parent.mkdir(exist_ok=True)
        shutil.copy2(REPO/name, path/name)
    git(path, 'add', *HOOK_FILES)
    git(path, 'commit', '--quiet', '--allow-empty', '--no-verify', '-m', 'the hook files under test')
    shutil.rmtree(path/'.git'/'hooks')
    return path


def save_as_jupyterlab(path:Path, edit=None):
    "Rewrite a notebook the way JupyterLab saves one: language_info, execution timings and counts, scrolling."
    nb = json.loads(path.read_text())
    nb['metadata']['language_info'] = {'name': 'python', 'version': '3.11.7', 'mimetype': 'text/x-python'}
    for i, cell in enumerate(nb['cells']):
        if cell['cell_type'] == 'code':
            cell['metadata'].update(execution={'iopub.status.busy': '2026-01-01T00:00:00.000Z'}, scrolled=True)
            cell['execution_count'] = i + 40
    if edit: edit(nb)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')


def committed(clone, name): return git(clone, 'show', f'HEAD:{name}').stdout


def source(cell): return ''.join(cell['source'])  # a list of lines or one string, as nbformat allows


def test_make_hooks_is_idempotent_and_needs_no_hooks_folder(clone, tmp_path):
    first = run(clone, 'make', '-s', 'hooks')
    assert 'git now runs .githooks/pre-commit' in first.stdout
    assert git(clone, 'config', 'core.hooksPath').stdout.strip() == '.githooks'
    again = run(clone, 'make', '-s', 'hooks')
    assert again.stdout == '' and git(clone, 'config', 'core.hooksPath').stdout.strip() == '.githooks'
    # outside a git checkout (an unpacked archive) it is a note, not a failure
    plain = tmp_path/'plain'
    plain.mkdir()
    shutil.copy2(clone/'Makefile', plain/'Makefile')
    assert 'not a git checkout' in run(plain, 'make', '-s', 'hooks').stdout


def test_make_hooks_leaves_other_hooks_alone(clone):
    git(clone, 'config', 'core.hooksPath', 'my-hooks')
    proc = run(clone, 'make', '-s', 'hooks')
    assert 'left as they are' in proc.stdout
    assert git(clone, 'config', 'core.hooksPath').stdout.strip() == 'my-hooks'


def test_hook_cleans_a_notebook_saved_by_jupyterlab(clone):
    run(clone, 'make', '-s', 'hooks')
    name = 'nbs/08_reproduce.ipynb'  # a notebook that exports nothing
    clean_before = (clone/name).read_text()
    # metadata only: the hook cleans it, nothing is left to commit, so the commit is refused and HEAD stays
    save_as_jupyterlab(clone/name)
    git(clone, 'add', name)
    proc = git(clone, 'commit', '-m', 'saved in JupyterLab', check=False)
    assert proc.returncode == 1 and 'nothing is left to commit' in proc.stderr, proc.stderr
    assert 'cleaned nbs/08_reproduce.ipynb' in proc.stderr
    assert git(clone, 'log', '-1', '--format=%s').stdout.strip() == 'the hook files under test'
    assert (clone/name).read_text() == clean_before and git(clone, 'status', '--porcelain').stdout == ''

    # a real edit saved by JupyterLab: the edit is committed, the metadata is not, the working copy is clean too
    def edit(nb): nb['cells'][-1]['source'] = 'An edit made in JupyterLab.'
    save_as_jupyterlab(clone/name, edit)
    git(clone, 'add', name)
    proc = git(clone, 'commit', '-m', 'an edit')
    assert 'cleaned nbs/08_reproduce.ipynb' in proc.stderr
    nb = json.loads(committed(clone, name))
    assert source(nb['cells'][-1]) == 'An edit made in JupyterLab.'
    assert 'language_info' not in nb['metadata']
    assert all('execution' not in c['metadata'] and c.get('execution_count') is None for c in nb['cells'])
    assert (clone/name).read_text() == committed(clone, name) and git(clone, 'status', '--porcelain').stdout == ''
    # what the hook committed is what `make check` wants: nbdev_clean changes nothing more
    run(clone, NBDEV_BIN/'nbdev_clean', '--fname', name)
    assert git(clone, 'status', '--porcelain').stdout == ''


def test_hook_refuses_a_notebook_whose_export_is_not_committed(clone):
    run(clone, 'make', '-s', 'hooks')
    name = 'nbs/01_segment.ipynb'

    def edit(nb):
        cell = next(c for c in nb['cells'] if c['cell_type'] == 'code' and source(c).startswith('#| export'))
        cell['source'] = source(cell) + '\n# a comment added in the notebook'
    nb = json.loads((clone/name).read_text())
    edit(nb)
    (clone/name).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    git(clone, 'add', name)
    proc = git(clone, 'commit', '-m', 'notebook only', check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert 'ecg_nb/ as staged is not what nbdev_export makes' in proc.stderr and 'ecg_nb/segment.py' in proc.stderr
    assert 'cleaned' not in proc.stderr  # the notebook was clean: the hook left it as staged
    assert git(clone, 'log', '-1', '--format=%s').stdout.strip() == 'the hook files under test'
    # exported and staged together, the commit goes through
    run(clone, NBDEV_BIN/'nbdev_export')
    git(clone, 'add', 'ecg_nb')
    git(clone, 'commit', '-m', 'notebook and its module')
    assert '# a comment added in the notebook' in committed(clone, 'ecg_nb/segment.py')


def test_hook_runs_in_a_linked_worktree_once_the_main_checkout_enabled_it(clone, tmp_path):
    worktree = tmp_path/'wt'
    git(clone, 'worktree', 'add', '--quiet', '-b', 'side', worktree)
    # make in a linked worktree does not rewrite the git config all worktrees share
    assert 'linked worktree' in run(worktree, 'make', '-s', 'hooks').stdout
    assert git(clone, 'config', 'core.hooksPath', check=False).stdout == ''
    run(clone, 'make', '-s', 'hooks')
    save_as_jupyterlab(worktree/'nbs/08_reproduce.ipynb', lambda nb: nb['cells'][-1].update(source='Edited.'))
    git(worktree, 'add', 'nbs/08_reproduce.ipynb')
    assert 'cleaned nbs/08_reproduce.ipynb' in git(worktree, 'commit', '-m', 'edit').stderr
    assert 'language_info' not in committed(worktree, 'nbs/08_reproduce.ipynb')

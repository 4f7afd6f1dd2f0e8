"""The `ecg_nb` command end to end on the embedded excerpt, and every kind of bad input."""
import shutil

import pandas as pd
import pytest

from conftest import assert_one_line_error, run_cli


def test_dataset_on_excerpt_writes_figure_and_counts(tmp_path):
    figure = tmp_path/'out'/'beats.png'
    proc = run_cli('dataset', '--data_dir', 'excerpt', '--cache_dir', tmp_path/'cache', '--figure', figure)
    assert proc.returncode == 0, proc.stderr
    assert 'N:   1,020' in proc.stdout and 'V:     122' in proc.stdout
    assert figure.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert [p.name for p in figure.parent.iterdir()] == ['beats.png']  # no temporary left behind


def test_detect_on_excerpt_scores_every_record(tmp_path):
    output = tmp_path/'scores.csv'
    proc = run_cli('detect', '--data_dir', 'excerpt', '--output', output)
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(output, index_col='record', dtype={'record': str})
    assert list(table.index) == ['100', '119', '209', '214', '232', 'total']
    assert table.loc['total', 'sensitivity'] > 0.995 and table.loc['total', 'positive_predictivity'] > 0.995
    assert 'detect_r_peaks: Se' in proc.stdout


def test_unknown_folder(tmp_path):
    assert_one_line_error(run_cli('dataset', '--data_dir', tmp_path/'nowhere'), 'nowhere: no such database folder')


def test_empty_folder(tmp_path):
    assert_one_line_error(run_cli('dataset', '--data_dir', tmp_path), 'no WFDB records')


@pytest.mark.parametrize('damage, fragments', [
    (lambda d: (d/'119.dat').write_bytes((d/'119.dat').read_bytes()[:5000]),
     ['119.dat', 'record 119 is truncated', '5,000 of 324,000 bytes']),
    (lambda d: (d/'214.atr').unlink(), ['214.atr', 'reference annotations of record 214 are missing']),
    (lambda d: (d/'232.dat').unlink(), ['232.dat', 'signal file of record 232 is missing']),
    (lambda d: (d/'100.hea').unlink(), ['100.hea', 'header of record 100 is missing']),
    (lambda d: (d/'209.hea').write_text('209 two 360 abc\n'), ['209.hea', 'header of record 209 cannot be parsed']),
    (lambda d: (d/'100.atr').write_bytes(b'\xff' * 64), ['100.atr', 'annotations of record 100']),
])
def test_damaged_database_gives_one_line_and_no_output(excerpt_copy, tmp_path, damage, fragments):
    damage(excerpt_copy)
    figure = tmp_path/'figs'/'beats.png'
    proc = run_cli('dataset', '--data_dir', excerpt_copy, '--cache_dir', tmp_path/'cache', '--figure', figure)
    assert_one_line_error(proc, *fragments)
    assert not figure.exists()
    assert not (tmp_path/'cache').exists() or not any((tmp_path/'cache').iterdir())  # nothing half-cached


def test_record_without_the_lead(tmp_path):
    proc = run_cli('dataset', '--data_dir', 'excerpt', '--lead', 'V1', '--no_lead_fallback', '--no_cache')
    assert_one_line_error(proc, '100.hea', 'record 100 has no V1 lead (it has MLII, V5)')


def test_verify_catches_a_changed_file(excerpt_copy):
    # the excerpt is not the full database: verification against PhysioNet's list reports missing files
    proc = run_cli('verify', '--data_dir', excerpt_copy)
    assert_one_line_error(proc, 'fail verification')


def test_unwritable_output(tmp_path):
    blocker = tmp_path/'file'
    blocker.write_text('')
    proc = run_cli('detect', '--data_dir', 'excerpt', '--records', '100', '--output', blocker/'scores.csv')
    assert_one_line_error(proc, 'file')


def test_download_and_verify_full_database(full_data):
    # a complete, verified copy: nothing is fetched (no machine here reaches PhysioNet)
    proc = run_cli('download', '--data_dir', full_data)
    assert proc.returncode == 0, proc.stderr
    assert 'complete and verified; nothing to download' in proc.stdout
    proc = run_cli('verify', '--data_dir', full_data)
    assert proc.returncode == 0 and '48 records' in proc.stdout


def test_dataset_full_database(full_data, tmp_path):
    proc = run_cli('dataset', '--data_dir', full_data)
    assert proc.returncode == 0, proc.stderr
    assert 'Dataset(99,910 beats' in proc.stdout


def test_python_dash_m_and_version():
    import subprocess, sys
    from ecg_nb import __version__
    for module in ('ecg_nb', 'ecg_nb.cli', 'ecgclf'):  # ecgclf: the seed's name
        version = subprocess.run([sys.executable, '-m', module, '--version'], capture_output=True, text=True)
        assert version.returncode == 0 and version.stdout.strip() == f'ecg_nb {__version__}', version
    helped = subprocess.run([sys.executable, '-m', 'ecg_nb.cli', '--help'], capture_output=True, text=True)
    assert helped.returncode == 0 and 'usage: ecg_nb' in helped.stdout and 'predict' in helped.stdout, helped
    verified = subprocess.run([sys.executable, '-m', 'ecg_nb.cli', 'verify', '--data_dir', 'excerpt'], capture_output=True, text=True)
    assert verified.returncode == 0 and "every file matches the excerpt's SHA256SUMS" in verified.stdout, verified
    wrong = subprocess.run([sys.executable, '-m', 'ecg_nb.cli', 'predict'], capture_output=True, text=True)
    assert wrong.returncode == 2 and len(wrong.stderr.strip().splitlines()) == 1, wrong.stderr


def test_the_seeds_spellings_are_accepted(tmp_path):
    from ecg_nb.cli import make_parser
    from ecg_nb.data import EXCERPT_DIR, PACKAGE_DIR
    parser = make_parser()
    train = parser.parse_args(['train', '--fold_k', '5', '--early_stopping'])  # `train` is `kfold`
    assert train.handler.__name__ == '_kfold' and (train.k, train.early_stopping) == (5, 5)
    assert parser.parse_args(['kfold']).early_stopping == 0 and parser.parse_args(['kfold', '--early_stopping', '3']).early_stopping == 3
    assert parser.parse_args(['evaluate', '--run', 'r', '--fold_avg']).fold_avg
    # predict --input FILE --output_csv FILE, end to end
    out = tmp_path/'beats.csv'
    proc = run_cli('predict', '--input', EXCERPT_DIR/'100.hea', '--output_csv', out,
                   '--model', PACKAGE_DIR.parent/'results'/'ds1ds2'/'fold_0'/'model.keras', cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(pd.read_csv(out)) > 300
    assert_one_line_error(run_cli('predict', EXCERPT_DIR/'100.hea', '--input', EXCERPT_DIR/'119.hea', '--model', 'm.keras',
                                  cwd=tmp_path), 'give the ECG file once')

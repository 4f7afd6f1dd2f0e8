"""`ecg_nb fit` as a user runs it: bad input is one line and writes nothing; a small model folder on real records is
trained, resumed, read by `ecg_nb predict --run`, and refused while incomplete."""
import json

import pandas as pd

from conftest import assert_one_line_error, run_cli
from ecg_nb.data import EXCERPT_DIR


def test_records_without_every_class_are_refused_before_anything_is_written(tmp_path):
    out = tmp_path/'model'
    proc = run_cli('fit', '--run', out, '--data_dir', 'excerpt', '--records', '100', '119', '209', '214', '232')
    assert_one_line_error(proc, '--records: no F beats in these records (N 1,446, S 343, V 124)', 'N, S, V and F')
    assert not out.exists()
    # without --records, DS1's records, which the excerpt does not hold
    assert_one_line_error(run_cli('fit', '--run', out, '--data_dir', 'excerpt'), 'has no record 101 of DS1', 'name yours with --records')
    assert not out.exists()


def test_bad_options_are_one_line_each(tmp_path):
    out = tmp_path/'model'
    for options, fragment in ((['--seeds', '0', '0'], '--seeds 0 0: give one or more distinct whole numbers'),
                              (['--seeds', '-2'], '--seeds -2'), (['--epochs', '0'], '--epochs 0: must be a whole number'),
                              (['--alpha', '-1'], '--alpha -1.0: must be 0 or more'), (['--threads', '0'], '--threads 0: must be 1 or more'),
                              (['--records', '232', '232'], '--records: 232 is named twice'),
                              (['--records', '999'], '999')):
        assert_one_line_error(run_cli('fit', '--run', out, '--data_dir', 'excerpt', *options), fragment)
        assert not out.exists()
    assert run_cli('fit', '--data_dir', 'excerpt').returncode == 2  # --run is required: a usage error


def test_a_folder_it_did_not_make_is_left_alone(tmp_path):
    mine = tmp_path/'mine'; mine.mkdir(); (mine/'notes.txt').write_text('mine')
    assert_one_line_error(run_cli('fit', '--run', mine, '--data_dir', 'excerpt', '--records', '232'),
                          'a folder that `ecg_nb fit` did not make')
    assert [p.name for p in mine.iterdir()] == ['notes.txt'] and (mine/'notes.txt').read_text() == 'mine'
    assert_one_line_error(run_cli('fit', '--run', EXCERPT_DIR, '--data_dir', 'excerpt', '--records', '232'), 'is the database folder this command reads')


def test_trains_resumes_and_predicts(full_data, tmp_path):
    out = tmp_path/'small'
    proc = run_cli('fit', '--run', out, '--data_dir', full_data, '--records', '208', '209', '--seeds', '0', '1', '--epochs', '1')
    assert proc.returncode == 0, proc.stderr
    assert f'{out}: 2 seed models (AAMI classes N, S, V, F); classify with: ecg_nb predict --run {out}' in proc.stdout
    manifest = json.loads((out/'manifest.json').read_text())
    assert manifest['parameters']['records'] == ['208', '209'] and manifest['parameters']['seeds'] == [0, 1]
    assert set(manifest['data_checksums']) == {'208.hea', '208.dat', '208.atr', '209.hea', '209.dat', '209.atr'}
    # the same command again trains nothing
    stamp = (out/'seed_1.keras').stat().st_mtime_ns
    again = run_cli('fit', '--run', out, '--data_dir', full_data, '--records', '208', '209', '--seeds', '0', '1', '--epochs', '1')
    assert again.returncode == 0 and 'is trained already; nothing to do' in again.stdout
    assert (out/'seed_1.keras').stat().st_mtime_ns == stamp
    # other settings are refused, and the folder is left as it was
    assert_one_line_error(run_cli('fit', '--run', out, '--data_dir', full_data, '--records', '208', '209', '--seeds', '0', '1'),
                          'this folder was made with other settings (epochs 1 then, 8 now)')
    # predicting with it: every beat of a patient it never saw (232), its classes from the models' cards
    beats_csv = tmp_path/'232_beats.csv'
    proc = run_cli('predict', EXCERPT_DIR/'232.hea', '--run', out, '--output', beats_csv)
    assert proc.returncode == 0, proc.stderr
    assert 'ensemble of 2 seed models of small (ecg_nb fit; mean probability)' in proc.stdout
    beats = pd.read_csv(beats_csv)
    assert {'p_N', 'p_S', 'p_V', 'p_F'} <= set(beats.columns) and set(beats['class']) <= {'N', 'S', 'V', 'F'} and len(beats) > 290  # 295 reference beats
    # an incomplete folder is refused, and the output is not written
    (out/'seed_0.keras').unlink()
    assert_one_line_error(run_cli('predict', EXCERPT_DIR/'232.hea', '--run', out, '--output', tmp_path/'again.csv'),
                          'seed 0 not trained yet; rerun `ecg_nb fit --run')
    assert not (tmp_path/'again.csv').exists()

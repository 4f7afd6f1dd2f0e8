"""`ecg_nb predict` on CSV files in the dialects real exporters write, written here from a real excerpt signal; the
ambiguous ones refused; and an artefact in a CSV file repaired and reported."""
import json

import numpy as np
import pandas as pd
import pytest

from conftest import assert_one_line_error, run_cli
from ecg_nb.data import EXCERPT_DIR, read_record
from ecg_nb.segment import detection_scores

from test_predict import COMMITTED

MODEL = COMMITTED[0]  # a committed seed model: the numpy forward pass, no training here


@pytest.fixture(scope='module')
def signal():
    return read_record('119', EXCERPT_DIR).signal  # 5 min, ventricular bigeminy, mV at 360 Hz


def texts(x): return [np.format_float_positional(v, trim='-') for v in x]  # as a spreadsheet shows them


def clock(s, hours=False):
    h, rest = divmod(s, 3600); m, s = divmod(rest if hours else s, 60)
    return f'{int(h)}:{int(m):02d}:{s:06.3f}' if hours else f'{int(m)}:{s:06.3f}'


def dialects(x):
    t, v = np.arange(len(x)) / 360, texts(x)
    return {  # name: (text, extra options)
        'european.csv': ('Zeit;MLII\n' + ''.join(f'{round(a, 6)};{b}\n'.replace('.', ',') for a, b in zip(t.tolist(), v)), []),
        'physionet.csv': ("'Elapsed time','MLII','V5'\n'hh:mm:ss.mmm','mV','mV'\n" + ''.join(f"'{clock(a)}',{b},{b}\n" for a, b in zip(t, v)),
                          ['--column', 'MLII']),
        'rdsamp.txt': ('   Elapsed time     MLII       V5\n   hh:mm:ss.mmm       mV       mV\n'
                       + ''.join(f'   {clock(a, True)}  {b:>7}  {b:>7}\n' for a, b in zip(t, v)), ['--column', 'MLII']),
        'microvolts.tsv': ('time\tECG\n(s)\t(uV)\n' + ''.join(f'{a!r}\t{round(float(b) * 1000, 3)}\n' for a, b in zip(t.tolist(), v)), []),
        'excel_volts.csv': ('\ufeffsep=;\n"time [ms]";"ECG (V)"\n' + ''.join(f'{a * 1000:.4f};{float(b) / 1000:.9g}\n'.replace('.', ',') for a, b in zip(t, v)), []),
        'no_header.txt': (''.join(f'{b}\n' for b in v), ['--fs', '360']),
    }


def test_every_dialect_gives_the_beats_of_the_plain_csv(signal, tmp_path):
    pd.DataFrame({'time': np.arange(len(signal)) / 360, 'MLII': signal}).to_csv(tmp_path/'plain.csv', index=False)
    proc = run_cli('predict', tmp_path/'plain.csv', '--model', MODEL, '--output', tmp_path/'plain.beats.csv', cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    plain = pd.read_csv(tmp_path/'plain.beats.csv')
    assert len(plain) > 300
    for name, (text, extra) in dialects(signal).items():
        (tmp_path/name).write_text(text, encoding='utf-8')
        proc = run_cli('predict', tmp_path/name, '--model', MODEL, '--output', tmp_path/f'{name}.beats.csv',
                       '--summary', tmp_path/f'{name}.json', *extra, cwd=tmp_path)
        assert proc.returncode == 0, (name, proc.stderr)
        table = pd.read_csv(tmp_path/f'{name}.beats.csv')
        assert table['sample'].tolist() == plain['sample'].tolist(), name
        assert table['class'].tolist() == plain['class'].tolist(), name  # the same samples, so the same classes
        assert json.loads((tmp_path/f'{name}.json').read_text())['fs'] == 360, name


def write(path, text):
    path.write_text(text)
    return path


def ambiguous(x):
    t, v = np.arange(2000) / 360, texts(x[:2000])
    return {
        'decimal commas or two columns': ('c.csv', ''.join(f"{b.replace('.', ',')}\n" for b in v if '.' in b), ['--fs', '360'],
                                          'reads as 2 whole numbers or as 1 with decimal commas'),
        'decimal commas in a comma file': ('h.csv', 'time,MLII\n' + ''.join(f'{a},{b}\n'.replace('.', ',') for a, b in zip(t, v)), [],
                                           "(decimal commas in a ','-separated file?)"),
        'two separators': ('s.csv', 'a;b\n' + ''.join(f'{i};{b}\n' if i % 50 else f'{i}\t{b}\n' for i, b in enumerate(v)), ['--fs', '360'],
                           "both ';' and tabs separate values"),
        'two decimal marks': ('d.csv', 'i;ecg\n' + ''.join(f'{i};{b}\n' if i % 50 else f"{i};{b.replace('.', ',')}\n" for i, b in enumerate(v)),
                              ['--fs', '360', '--column', 'ecg'], "both '.' and ',' appear as decimal marks"),
        'text among the numbers': ('x.csv', 'ecg\nmV\n' + ''.join(f'{b}\n' for b in v) + 'lead off\n' + ''.join(f'{b}\n' for b in v),
                                   ['--fs', '360'], "non-numeric value 'lead off' in column 'ecg', line 2003"),
        'not a voltage': ('p.csv', "'time','ABP'\n'sec','mmHg'\n" + ''.join(f'{a:.3f},{b}\n' for a, b in zip(t, v)), [],
                          "column 'ABP' is in 'mmHg', not a voltage"),
        'units and --scale': ('u.csv', "'time','ECG'\n'sec','uV'\n" + ''.join(f'{a:.3f},{float(b) * 1000:.1f}\n' for a, b in zip(t, v)),
                              ['--scale', '0.001'], 'the file gives its amplitude units (uV)'),
    }


@pytest.mark.parametrize('case', ['decimal commas or two columns', 'decimal commas in a comma file', 'two separators',
                                  'two decimal marks', 'text among the numbers', 'not a voltage', 'units and --scale'])
def test_an_ambiguous_file_is_refused_in_one_line(case, signal, tmp_path):
    name, text, extra, message = ambiguous(signal)[case]
    path = write(tmp_path/name, text)
    out = tmp_path/'out'
    proc = run_cli('predict', path, '--model', MODEL, *extra, '--output', out/'o.csv', '--summary', out/'s.json', cwd=tmp_path)
    assert_one_line_error(proc, message, path.name)
    assert not out.exists()  # no output written


def test_a_spike_is_repaired_reported_and_not_a_beat(signal, tmp_path):
    clean = signal.copy()
    spiky = signal.copy(); spiky[int(13.9 * 360)] = 1e6  # one artefact sample
    for name, x in (('clean.csv', clean), ('spiky.csv', spiky)):
        pd.DataFrame({'ecg': x}).to_csv(tmp_path/name, index=False)
        proc = run_cli('predict', tmp_path/name, '--fs', '360', '--model', MODEL, '--output', tmp_path/f'{name}.beats.csv',
                       '--summary', tmp_path/f'{name}.json', cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    assert 'warning: artefact at 13.90 s' in proc.stderr
    summary = json.loads((tmp_path/'spiky.csv.json').read_text())
    assert len(summary['artefacts_repaired']) == 1 and summary['artefacts_repaired'][0].startswith('artefact at 13.90 s')
    reference = pd.read_csv(tmp_path/'clean.csv.beats.csv')['sample'].to_numpy()
    found = pd.read_csv(tmp_path/'spiky.csv.beats.csv')['sample'].to_numpy()
    after = int(15 * 360)
    assert detection_scores(reference[reference > after], found[found > after], 360)['sensitivity'] >= 0.95
    assert len(found) >= 0.95 * len(reference)
    near = lambda r: r[np.abs(r - int(13.9 * 360)) < 0.08 * 360]
    assert len(near(found)) <= len(near(reference))  # the spike itself is no beat

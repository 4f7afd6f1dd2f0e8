"""Could a gate on the rhythm (irregular, and no P wave in the patient's template) stop N beats in atrial
fibrillation being called S? A look at DS1 only (DS2 is not read), before any model is built.

python research/interpatient/af_probe.py > research/interpatient/af_probe.md

Per DS1 record, split by the reference rhythm annotations ((AFIB and (AFL against every other rhythm): the
5th, 50th and 95th percentiles of
- P prominence: the largest distance of the beat's running template (`beat_inputs`' second channel, in units of
  the patient's R amplitude) from the straight line joining its ends over -230 to -50 ms, where the P wave lies;
- irregularity: `irr_centred41/medRR41`, one of the shipped model's 19 features.
A gate needs both to separate AF from sinus rhythm in every record, with room to spare, since only two DS1
patients (201, 203) have AF.
"""
from pathlib import Path
import numpy as np, wfdb
from ecg_nb.data import BEAT_SYMBOLS, read_record, resolve_data_dir
from ecg_nb.kfold import DS1
from ecg_nb.segment import BEAT_FEATURES, BEAT_PRE, beat_inputs, preprocess

FOLDER, FS = resolve_data_dir(None, verbose=False), 360
P_WINDOW = slice(BEAT_PRE - int(0.23 * FS), BEAT_PRE - int(0.05 * FS))
IRREGULARITY = BEAT_FEATURES.index('irr_centred41/medRR41')
S_SYMBOLS = list('AaJSej')


def rhythm_of_beats(name, samples, folder=FOLDER):
    "The reference rhythm in force at each beat ('(N' before the first rhythm annotation)."
    ann = wfdb.rdann(str(Path(folder)/name), 'atr')
    marks = [(s, a.strip('\x00')) for s, a in zip(ann.sample, ann.aux_note) if a.startswith('(')]
    out = np.full(len(samples), '(N', dtype=object)
    for k, (start, rhythm) in enumerate(marks):
        end = marks[k + 1][0] if k + 1 < len(marks) else np.inf
        out[(samples >= start) & (samples < end)] = rhythm
    return out


def percentiles(x):
    return ' / '.join(f'{v:.3f}' for v in np.percentile(x, [5, 50, 95])) if len(x) else '–'


if __name__ == '__main__':
    print('| record | beats | in AF or flutter | S beats (in AF) | P prominence, other rhythms | P prominence, AF | '
          'irregularity, other rhythms | irregularity, AF |')
    print('|---|---:|---:|---:|---|---|---|---|')
    for name in DS1:
        rec = read_record(name, None)
        beats = np.isin(rec.ann_symbol, BEAT_SYMBOLS)
        r = rec.ann_sample[beats]
        windows, features = beat_inputs(preprocess(rec.signal, rec.fs, 'trend+medians'), r)
        p = windows[:, P_WINDOW, 1]
        line = p[:, :1] + (p[:, -1:] - p[:, :1]) * np.linspace(0, 1, p.shape[1])[None]
        prominence = np.abs(p - line).max(1)
        af = np.isin(rhythm_of_beats(name, r), ['(AFIB', '(AFL'])
        s = np.isin(rec.ann_symbol[beats], S_SYMBOLS)
        print(f'| {name} | {len(r):,} | {af.sum():,} | {s.sum()} ({(s & af).sum()}) | {percentiles(prominence[~af])} | '
              f'{percentiles(prominence[af])} | {percentiles(features[~af, IRREGULARITY])} | {percentiles(features[af, IRREGULARITY])} |')

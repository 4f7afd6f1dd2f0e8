"""Cache preprocessed signals and per-beat inputs (reference R peaks) for DS1 and DS2.
Usage: python prepare.py            -> cache/{DS1,DS2}_*.npy, cache/sig_<rec>.npy
"""
import os, sys, time
import numpy as np
from ecg_nb.data import read_record, SCHEMES, BEAT_SYMBOLS
from ecg_nb.kfold import DS1, DS2
from features import preprocess, beat_features

DATA = '/work/shared/data/mitdb'
SUFFIX = os.environ.get('SUFFIX', '')
CACHE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cache')
os.makedirs(CACHE, exist_ok=True)


def load_signal(rec):
    p = os.path.join(CACHE, f'sig_{rec}.npy')
    r = read_record(rec, DATA, lead='MLII')
    if os.path.exists(p):
        y = np.load(p)
    else:
        y = preprocess(r.signal, r.fs)
        np.save(p, y)
    return r, y


def reference(r):
    m = np.isin(r.ann_symbol, BEAT_SYMBOLS)
    return r.ann_sample[m], SCHEMES['aami'].labels(r.ann_symbol[m])


def build(name, records):
    out = {k: [] for k in ('win', 'feat', 'y', 'rec', 'sample')}
    for rec in records:
        t = time.time()
        r, y = load_signal(rec)
        peaks, lab = reference(r)
        win, feat = beat_features(y, peaks, r.fs)
        out['win'].append(win); out['feat'].append(feat); out['y'].append(lab)
        out['rec'].append(np.full(len(peaks), rec)); out['sample'].append(peaks)
        print(name, rec, r.lead, len(peaks), np.bincount(lab[lab >= 0], minlength=5), f'{time.time()-t:.1f}s', flush=True)
    for k, v in out.items():
        np.save(os.path.join(CACHE, f'{name}{SUFFIX}_{k}.npy'), np.concatenate(v))


if __name__ == '__main__':
    build('DS1', DS1)
    build('DS2', DS2)

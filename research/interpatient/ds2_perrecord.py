"""Reporting only (after the final recipe was frozen and scored): per-record DS2 confusion of the saved ensemble, ref peaks.
Uses the cached DS2 inputs (same features.py)."""
import json, numpy as np, keras
from model import make_inputs, class_weights
from cv import CANDS, load
spec = json.load(open('models/M_tiny_L_spec.json'))
cfg = CANDS['M_tiny_L']; w = np.array(spec['prior_correction']['divide_probs_by'])
ms = [keras.models.load_model(f'models/M_tiny_L_s{s}.keras') for s in spec['seeds']]
d = load('DS2v2')
p = np.mean([m.predict(make_inputs(cfg, d['win'], d['feat']), batch_size=4096, verbose=0) for m in ms], 0) / w
yp = p.argmax(1); y = d['y']; k = (y >= 0) & (y < 4)
print('| record | N | S | V | F | S TP | S FP (N->S) | V TP | V FP | F TP | F FP |')
print('|---|---|---|---|---|---|---|---|---|---|---|')
for r in np.unique(d['rec']):
    m = k & (d['rec'] == r); cm = np.bincount(y[m] * 4 + yp[m], minlength=16).reshape(4, 4)
    print(f'| {r} | {cm[0].sum()} | {cm[1].sum()} | {cm[2].sum()} | {cm[3].sum()} | {cm[1,1]} | {cm[:,1].sum()-cm[1,1]} ({cm[0,1]}) | {cm[2,2]} | {cm[:,2].sum()-cm[2,2]} | {cm[3,3]} | {cm[:,3].sum()-cm[3,3]} |')

"""How many of the shipped recipe's S false alarms in DS1 cross-validation lie in atrial fibrillation or flutter:
the most a perfect AF gate could give (af_probe.md). DS1 only; DS2 is not read.

python research/interpatient/af_budget.py [SEED]   (TensorFlow on one thread; about 3 minutes)

The shipped recipe (`train_interpatient`, prior correction alpha 0.25) trained on four of the record-grouped
folds of `cv.py` and applied to the fifth, for each fold: out-of-fold classes of every DS1 beat. Each beat's
rhythm is the reference rhythm annotation in force at it.
"""
import sys
import numpy as np
import tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads(1); tf.config.threading.set_inter_op_parallelism_threads(1)
from ecg_nb.data import BEAT_SYMBOLS, SCHEMES, read_record, resolve_data_dir
from ecg_nb.kfold import DS1
from ecg_nb.model import interpatient_beats, prior_correction, train_interpatient
from af_probe import rhythm_of_beats
from cv import folds_ds1

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
folder = resolve_data_dir(None, verbose=False)
beats = interpatient_beats(folder, DS1)
fold = folds_ds1(beats.labels, beats.record)[0]
predicted = np.zeros(len(beats.labels), int)
for f in range(5):
    train, test = fold != f, fold == f
    model = train_interpatient(beats.windows[train], beats.features[train], beats.labels[train], seed=seed)
    p = model.predict({'win': beats.windows[test], 'feat': beats.features[test]}, batch_size=2048, verbose=0)
    predicted[test] = (p / prior_correction(beats.labels[train])).argmax(1)

rhythm = []
for name in DS1:  # the rhythm in force at each beat that `interpatient_beats` kept (N, S, V, F), in its order
    rec = read_record(name, folder)
    is_beat = np.isin(rec.ann_symbol, BEAT_SYMBOLS)
    labels = SCHEMES['aami'].labels(rec.ann_symbol[is_beat])
    samples = rec.ann_sample[is_beat][(labels >= 0) & (labels < 4)]
    rhythm.append(rhythm_of_beats(name, samples, folder))
rhythm = np.concatenate(rhythm)
S = 1
calls, true = predicted == S, beats.labels == S
in_af = np.isin(rhythm, ['(AFIB', '(AFL'])
tp, fp = calls & true, calls & ~true
print(f'seed {seed}, DS1 out-of-fold: {calls.sum()} S calls, {tp.sum()} right, {fp.sum()} false ({true.sum()} S beats); '
      f'S Se {tp.sum() / true.sum():.1%}, S +P {tp.sum() / calls.sum():.1%}')
print(f'false S calls in AF or flutter: {(fp & in_af).sum()} of {fp.sum()}; right S calls there: {(tp & in_af).sum()}')
print('false S calls by rhythm:', {k: int((fp & (rhythm == k)).sum()) for k in np.unique(rhythm) if (fp & (rhythm == k)).any()})
print('false S calls by record:', {n: int((fp & (beats.record == n)).sum()) for n in DS1 if (fp & (beats.record == n)).any()})
kept = calls & ~in_af
print(f'a perfect AF gate (no S in AF or flutter): S Se {(kept & true).sum() / true.sum():.1%}, '
      f'S +P {(kept & true).sum() / kept.sum():.1%}')

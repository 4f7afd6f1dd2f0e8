"""Model, training loop (with random inversion), and metrics."""
import os
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
import numpy as np
import tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
import keras
from keras import layers

CLASSES = ('N', 'S', 'V', 'F')


def build_model(cfg, n_feat, win_len=234, seed=0):
    keras.utils.set_random_seed(seed)
    inputs, branches = [], []
    if cfg.get('use_win', True):
        ch = 2 if cfg.get('template', True) else 1
        w_in = keras.Input((win_len, ch), name='win')
        inputs.append(w_in)
        x = layers.AveragePooling1D(cfg.get('pool0', 2), name='pool0')(w_in)
        for i, (f, k) in enumerate(cfg.get('convs', [(16, 7), (32, 5), (32, 5)])):
            x = layers.Conv1D(f, k, padding='same', use_bias=False, name=f'conv{i+1}')(x)
            x = layers.BatchNormalization(name=f'bn{i+1}')(x)
            x = layers.ReLU(name=f'relu{i+1}')(x)
            if i < len(cfg.get('convs', [0, 0, 0])) - 1:
                x = layers.MaxPooling1D(2, name=f'mpool{i+1}')(x)
        x = layers.Concatenate(name='gpool')([layers.GlobalAveragePooling1D(name='gap')(x),
                                              layers.GlobalMaxPooling1D(name='gmp')(x)])
        branches.append(x)
    f_in = keras.Input((n_feat,), name='feat')
    inputs.append(f_in)
    f = layers.BatchNormalization(name='feat_bn')(f_in)
    f = layers.Dense(cfg.get('feat_units', 32), activation='relu', name='feat_dense')(f)
    branches.append(f)
    h = layers.Concatenate(name='join')(branches) if len(branches) > 1 else branches[0]
    h = layers.Dense(cfg.get('head', 64), activation='relu', name='head')(h)
    h = layers.Dropout(cfg.get('dropout', 0.3), name='drop')(h)
    out = layers.Dense(len(CLASSES), activation='softmax', name='out')(h)
    m = keras.Model(inputs, out)
    m.compile(optimizer=keras.optimizers.Adam(cfg.get('lr', 1e-3)), loss='sparse_categorical_crossentropy')
    return m


def class_weights(y, power):
    c = np.bincount(y, minlength=len(CLASSES)).astype(float)
    w = (c.sum() / (len(CLASSES) * np.maximum(c, 1))) ** power
    return {i: float(w[i]) for i in range(len(CLASSES))}


def make_inputs(cfg, win, feat):
    d = {}
    if cfg.get('use_win', True):
        d['win'] = win if cfg.get('template', True) else win[..., :1]
    d['feat'] = feat[:, cfg['feat_idx']] if cfg.get('feat_idx') is not None else feat
    return d


def train(cfg, win, feat, y, seed, epochs, eval_sets=None, eval_at=(), verbose=0):
    """Train; eval_sets: {name: (win, feat)}; returns model and {epoch: {name: probs}}."""
    rng = np.random.default_rng(seed)
    nf = make_inputs(cfg, win[:1], feat[:1])['feat'].shape[1]
    m = build_model(cfg, nf, win.shape[1], seed)
    cw = class_weights(y, cfg.get('cw_power', 1.0))
    preds = {}
    for ep in range(1, epochs + 1):
        w = win
        if cfg.get('invert', True):
            sg = rng.choice(np.array([-1.0, 1.0], np.float32), size=(len(y), 1, 1))
            w = win * sg
        if cfg.get('amp_aug', 0):
            w = w * rng.uniform(1 - cfg['amp_aug'], 1 + cfg['amp_aug'], size=(len(y), 1, 1)).astype(np.float32)
        m.fit(make_inputs(cfg, w, feat), y, batch_size=cfg.get('batch', 256), epochs=1, class_weight=cw,
              shuffle=True, verbose=verbose)
        if ep in eval_at and eval_sets:
            preds[ep] = {k: m.predict(make_inputs(cfg, a, b), batch_size=2048, verbose=0)
                         for k, (a, b) in eval_sets.items()}
    return m, preds


def confusion(yt, yp, n=4):
    return np.bincount(yt * n + yp, minlength=n * n).reshape(n, n)


def metrics_from_cm(cm):
    """cm rows = true, cols = predicted; rows/cols beyond 4 ('none') allowed for detection scoring
    (last row: false detections, last col: missed beats)."""
    cm = np.asarray(cm, float)
    k = len(CLASSES)
    out = {'acc': np.trace(cm[:k, :k]) / cm.sum()}
    f1s = []
    for i, c in enumerate(CLASSES):
        tp = cm[i, i]
        se = tp / cm[i].sum() if cm[i].sum() else np.nan
        pp = tp / cm[:, i].sum() if cm[:, i].sum() else np.nan
        f1 = 2 * tp / (cm[i].sum() + cm[:, i].sum()) if (cm[i].sum() + cm[:, i].sum()) else np.nan
        out[f'{c}_Se'], out[f'{c}_P'], out[f'{c}_F1'] = se, pp, f1
        f1s.append(f1)
    out['macroF1'] = np.nanmean(f1s)
    out['j'] = np.nansum([out['S_Se'], out['S_P'], out['V_Se'], out['V_P']])
    return out

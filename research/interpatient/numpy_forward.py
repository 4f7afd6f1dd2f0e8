"""TensorFlow-free forward pass of the final model (BN folded), checked against Keras on DS1 beats.
python numpy_forward.py"""
import json, numpy as np


def fold_bn(model):
    """Extract weights: conv/dense kernels with BatchNormalization folded in (inference mode)."""
    g = lambda n: [np.asarray(w) for w in model.get_layer(n).get_weights()]
    P = {}
    for i in (1, 2, 3):
        k, = g(f'conv{i}')                             # (k, cin, cout), no bias
        gamma, beta, mean, var = g(f'bn{i}')
        eps = model.get_layer(f'bn{i}').epsilon
        s = gamma / np.sqrt(var + eps)
        P[f'conv{i}'] = (k * s, beta - mean * s)
    gamma, beta, mean, var = g('feat_bn'); eps = model.get_layer('feat_bn').epsilon
    s = gamma / np.sqrt(var + eps)
    W, b = g('feat_dense')
    P['feat_dense'] = (s[:, None] * W, (beta - mean * s) @ W + b)  # BN(x) @ W + b == x @ (s*W) + ((beta-mean*s) @ W + b)
    P['head'] = tuple(g('head')); P['out'] = tuple(g('out'))
    P['pool0'] = model.get_layer('pool0').pool_size[0]
    return P


def conv1d_same(x, k, b):
    """x (n, L, cin), k (K, cin, cout): Keras 'same' padding (stride 1)."""
    K = k.shape[0]; lo = (K - 1) // 2; hi = K - 1 - lo
    xp = np.pad(x, ((0, 0), (lo, hi), (0, 0)))
    L = x.shape[1]
    cols = np.stack([xp[:, j:j + L, :] for j in range(K)], 2)   # (n, L, K, cin)
    return np.einsum('nlkc,kco->nlo', cols, k) + b


def pool(x, p, how):
    n, L, c = x.shape; L2 = L // p
    x = x[:, :L2 * p].reshape(n, L2, p, c)
    return x.mean(2) if how == 'avg' else x.max(2)


def forward(P, win, feat):
    x = pool(win.astype(np.float64), P['pool0'], 'avg')
    for i in (1, 2, 3):
        x = np.maximum(conv1d_same(x, *P[f'conv{i}']), 0)
        if i < 3:
            x = pool(x, 2, 'max')
    h1 = np.concatenate([x.mean(1), x.max(1)], 1)
    h2 = np.maximum(feat @ P['feat_dense'][0] + P['feat_dense'][1], 0)
    h = np.maximum(np.concatenate([h1, h2], 1) @ P['head'][0] + P['head'][1], 0)
    z = h @ P['out'][0] + P['out'][1]
    z = np.exp(z - z.max(1, keepdims=True))
    return z / z.sum(1, keepdims=True)


if __name__ == '__main__':
    import keras
    spec = json.load(open('models/M_tiny_L_spec.json'))
    idx = spec['features']['feat_idx']
    win = np.load('cache/DS1v2_win.npy')[:3000]; feat = np.load('cache/DS1v2_feat.npy')[:3000][:, idx]
    m = keras.models.load_model('models/M_tiny_L_s0.keras')
    pk = m.predict({'win': win, 'feat': feat}, verbose=0)
    pn = forward(fold_bn(m), win, feat)
    print('max |numpy - keras| =', np.abs(pk - pn).max(), ' argmax agreement', (pk.argmax(1) == pn.argmax(1)).mean())

"""The same seed model on Keras 3's other backends (the seed's promised PyTorch equivalent), each in a subprocess."""
import importlib.util
import os
import subprocess
import sys

import pytest

SCRIPT = """
import numpy as np, keras
from ecg_nb.data import synthetic_dataset
from ecg_nb.model import build_model, train
assert keras.backend.backend() == '{backend}', keras.backend.backend()
ds = synthetic_dataset(300, seed=0)
model = build_model(seed=0)
assert model.count_params() == 3286
history = train(model, ds.X, ds.y, epochs=2, batch_size=32, seed=0, verbose=0)
p = model.predict(ds.X[:10], verbose=0)
assert p.shape == (10, 5) and np.allclose(p.sum(1), 1, atol=1e-5)
assert len(history) == 2 and np.isfinite(history.loss).all()
print('ok', keras.backend.backend())
"""


@pytest.mark.parametrize('backend', ['torch', 'jax'])
def test_seed_model_trains_on_backend(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f'{backend} is not installed (optional: pip install -e ".[{backend}]")')
    proc = subprocess.run([sys.executable, '-c', SCRIPT.format(backend=backend)], capture_output=True, text=True,
                          env={**os.environ, 'KERAS_BACKEND': backend}, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith(f'ok {backend}')

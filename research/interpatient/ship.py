"""Train ecg_nb's default model with the package and put it into the package; or write its measured figures.

python research/interpatient/ship.py train [--seeds 0 1 2 3 4]   (on one CPU thread: taskset -c 0)
python research/interpatient/ship.py measured "TEXT"

`train`: the final recipe (models/M_tiny_L_spec.json: 8 epochs, prior correction alpha 0.25, random inversion),
with the baseline chosen in DS1 by wander.py (`preprocess(..., baseline='trend+medians')`), trained on DS1 by
`ecg_nb.model.train_interpatient` for each seed and saved as the described architecture `INTERPATIENT`
(`resave`: no optimizer state) with a card that says what it takes and what it is:
ecg_nb/models/aami_interpatient/seed_{k}.keras. Nothing of DS2 is read.

`measured`: the figures' line that 05_predict's quality check measures, written into every card (that check
asserts the card says what it measured); the weights are copied byte for byte.

Until session 7 the shipped files were research's own models (models/M_tiny_L_s*.keras, baseline 'medians'),
re-saved by an earlier version of this script; `train_interpatient` reproduces them to the bit on one thread
(02_model).
"""
import argparse, dataclasses, json, os, tempfile
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
from pathlib import Path
from ecg_nb.architecture import INTERPATIENT
from ecg_nb.data import ModelInfo, read_model_info, write_model_info
from ecg_nb.kfold import DS1
from ecg_nb.model import interpatient_beats, prior_correction, resave, train_interpatient
from ecg_nb.predict import BEAT_INPUTS, DEFAULT_MODEL
from ecg_nb.segment import BEAT_POST, BEAT_PRE

HERE = Path(__file__).parent
BASELINE = 'trend+medians'  # wander.py, RESULTS.md "Baseline wander"
parser = argparse.ArgumentParser()
parser.add_argument('action', choices=('train', 'measured'))
parser.add_argument('text', nargs='?', default='')
parser.add_argument('--seeds', type=int, nargs='+')
args = parser.parse_args()
spec = json.loads((HERE/'models'/'M_tiny_L_spec.json').read_text())
assert spec['classes'] == ['N', 'S', 'V', 'F'] and spec['features']['used_in_order'] == list(BEAT_INPUTS[1:])

if args.action == 'measured':
    files = sorted(DEFAULT_MODEL.glob('seed_*.keras'))
    for path in files: write_model_info(path, dataclasses.replace(read_model_info(path), measured=args.text))
    print(f'{len(files)} cards now say: {args.text}')
    raise SystemExit

import tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads(1); tf.config.threading.set_inter_op_parallelism_threads(1)
seeds = args.seeds if args.seeds is not None else spec['seeds']
ds1 = interpatient_beats(None, DS1, baseline=BASELINE)
info = ModelInfo(
    classes=tuple(spec['classes']), scheme='aami', fs=360., window=BEAT_PRE + BEAT_POST, r_offset=BEAT_PRE, lead='MLII',
    normalisation="ecg_nb.segment.preprocess (a 0.6 s trend, then median filters, removed as the baseline; 40 Hz "
                  "low-pass), then divided by the patient's running median R amplitude",
    baseline=BASELINE, extra_inputs=BEAT_INPUTS,
    architecture=f'{INTERPATIENT.name}: beat and template CNN joined with 19 rhythm and morphology features '
                 f'({INTERPATIENT.parameters(4):,} weights); one of an ensemble of {len(spec["seeds"])} seeds',
    protocol="inter-patient (subject-level): trained on de Chazal's DS1, every choice made by record-grouped "
             "cross-validation inside DS1, DS2 held out",
    split='ds1ds2', trained_on=tuple(DS1), run='research/interpatient (M_tiny_L, trend+medians baseline)',
    prior_correction=tuple(prior_correction(ds1.labels, spec['prior_correction']['alpha']).tolist()))
DEFAULT_MODEL.mkdir(parents=True, exist_ok=True)
for seed in seeds:
    model = train_interpatient(*ds1[:3], seed=seed, epochs=spec['epochs'])
    with tempfile.TemporaryDirectory() as tmp:
        model.save(Path(tmp)/'trained.keras')
        resave(Path(tmp)/'trained.keras', DEFAULT_MODEL/f'seed_{seed}.keras', INTERPATIENT, info)
    print(DEFAULT_MODEL/f'seed_{seed}.keras', (DEFAULT_MODEL/f'seed_{seed}.keras').stat().st_size, 'bytes', flush=True)

"""Put the five DS1-trained models of the final recipe into the package as ecg_nb's default model.

python research/interpatient/ship.py [--measured "TEXT"]

Each research model (models/M_tiny_L_s{0..4}.keras) is re-saved as the described architecture `INTERPATIENT`
(ecg_nb.model.resave: same weights, checked to give the same probabilities, no optimizer state) with a card that
says what it takes and what it is: ecg_nb/models/aami_interpatient/seed_{0..4}.keras. `--measured` is the
figures' line that 05_predict's quality check measures (that check asserts the card says what it measured).
"""
import argparse, json
from pathlib import Path
from ecg_nb.architecture import INTERPATIENT
from ecg_nb.data import ModelInfo, PACKAGE_DIR
from ecg_nb.kfold import DS1
from ecg_nb.model import resave
from ecg_nb.predict import BEAT_INPUTS, DEFAULT_MODEL
from ecg_nb.segment import BEAT_POST, BEAT_PRE

HERE = Path(__file__).parent
parser = argparse.ArgumentParser()
parser.add_argument('--measured', default='')
args = parser.parse_args()
spec = json.loads((HERE/'models'/'M_tiny_L_spec.json').read_text())
assert spec['classes'] == ['N', 'S', 'V', 'F'] and spec['features']['used_in_order'] == list(BEAT_INPUTS[1:])
info = ModelInfo(
    classes=tuple(spec['classes']), scheme='aami', fs=360., window=BEAT_PRE + BEAT_POST, r_offset=BEAT_PRE, lead='MLII',
    normalisation="ecg_nb.segment.preprocess (baseline removed by median filters, 40 Hz low-pass), then divided by the "
                  "patient's running median R amplitude",
    extra_inputs=BEAT_INPUTS,
    architecture=f'{INTERPATIENT.name}: beat and template CNN joined with 19 rhythm and morphology features '
                 f'({INTERPATIENT.parameters(4):,} weights); one of an ensemble of {len(spec["seeds"])} seeds',
    protocol="inter-patient (subject-level): trained on de Chazal's DS1, every choice made by record-grouped "
             "cross-validation inside DS1, DS2 held out",
    split='ds1ds2', trained_on=tuple(DS1), run='research/interpatient (M_tiny_L)',
    prior_correction=tuple(spec['prior_correction']['divide_probs_by']), measured=args.measured)
DEFAULT_MODEL.mkdir(parents=True, exist_ok=True)
for seed in spec['seeds']:
    resave(HERE/'models'/f'M_tiny_L_s{seed}.keras', DEFAULT_MODEL/f'seed_{seed}.keras', INTERPATIENT, info)
    print(DEFAULT_MODEL/f'seed_{seed}.keras', (DEFAULT_MODEL/f'seed_{seed}.keras').stat().st_size, 'bytes')

"""Put the DS1-trained model of results/ds1ds2_aami into the package; or write its measured figures.

ecg_nb fit --run results/ds1ds2_aami          (the recipe on DS1, seeds 0-4, one CPU thread; about 3 minutes)
python research/interpatient/ship.py copy
python research/interpatient/ship.py measured "TEXT"

`copy`: checks that results/ds1ds2_aami is `ecg_nb fit`'s default (DS1, seeds 0-4, the recipe of
models/M_tiny_L_spec.json with the baseline wander.py chose) and complete, then copies its seed_{k}.keras byte for
byte into ecg_nb/models/aami_interpatient/, each card keeping the figures the shipped one states (the same weights
score the same). Nothing of DS2 is read.

`measured`: the figures' line that 05_predict's quality check measures, written into every shipped card (that
check asserts the card says what it measured); the weights are copied byte for byte.

History: until session 7 the shipped files were research's own models (models/M_tiny_L_s*.keras, baseline
'medians'); then this script trained them with `ecg_nb.model.train_interpatient` (baseline 'trend+medians'); since
session 10 `ecg_nb fit` trains them (the same function, the same weights to the bit on one thread) into
results/ds1ds2_aami, so that `ecg_nb predict --run results/ds1ds2_aami` reproduces the DS2 figures.
"""
import argparse, dataclasses, json, shutil, zipfile
from pathlib import Path
from ecg_nb.data import read_model_info, write_model_info
from ecg_nb.fit import FIT_RECIPE, FIT_SEEDS, ModelRun
from ecg_nb.kfold import DS1
from ecg_nb.predict import BEAT_INPUTS, DEFAULT_MODEL

HERE = Path(__file__).parent
RUN = ModelRun(HERE.parent.parent/'results'/'ds1ds2_aami')
parser = argparse.ArgumentParser()
parser.add_argument('action', choices=('copy', 'measured'))
parser.add_argument('text', nargs='?', default='')
args = parser.parse_args()
spec = json.loads((HERE/'models'/'M_tiny_L_spec.json').read_text())
assert spec['classes'] == ['N', 'S', 'V', 'F'] and spec['features']['used_in_order'] == list(BEAT_INPUTS[1:])
assert (spec['epochs'], spec['prior_correction']['alpha'], spec['seeds']) == (FIT_RECIPE['epochs'], FIT_RECIPE['alpha'], list(FIT_SEEDS))

if args.action == 'measured':
    files = sorted(DEFAULT_MODEL.glob('seed_*.keras'))  # results/ds1ds2_aami's cards stay as `ecg_nb fit` wrote them
    for path in files: write_model_info(path, dataclasses.replace(read_model_info(path), measured=args.text))
    print(f'{len(files)} cards now say: {args.text}')
    raise SystemExit

manifest = RUN.manifest()
assert manifest['parameters'] == {'records': list(DS1), 'seeds': list(FIT_SEEDS), **FIT_RECIPE}, manifest['parameters']
assert not RUN.missing_seeds(), RUN.missing_seeds()
measured = {read_model_info(p).measured for p in DEFAULT_MODEL.glob('seed_*.keras')}
assert len(measured) <= 1, measured
for seed in FIT_SEEDS:
    target = DEFAULT_MODEL/f'seed_{seed}.keras'
    if target.exists():  # say whether the weights change
        with zipfile.ZipFile(target) as old, zipfile.ZipFile(RUN.model_path(seed)) as new:
            same = old.read('model.weights.h5') == new.read('model.weights.h5')
        print(f'{target.name}: weights {"unchanged" if same else "CHANGED: score the new model on DS2 and ledger it"}')
    shutil.copyfile(RUN.model_path(seed), target)
    if measured and next(iter(measured)):
        write_model_info(target, dataclasses.replace(read_model_info(target), measured=next(iter(measured))))
print(f'{len(FIT_SEEDS)} models copied from {RUN.path} into {DEFAULT_MODEL}')

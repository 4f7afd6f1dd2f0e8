import json
r = json.load(open('ds2_results_M_tiny_L.json'))
keys = [('acc','acc'),('N_Se','N Se'),('N_P','N +P'),('N_F1','N F1'),('S_Se','S Se'),('S_P','S +P'),('S_F1','S F1'),('V_Se','V Se'),('V_P','V +P'),('V_F1','V F1'),
        ('F_Se','F Se'),('F_P','F +P'),('F_F1','F F1'),('macroF1','macro F1'),('S_Se_232','S Se rec 232 (1382 S)'),('S_Se_not232','S Se other 21 rec (455 S)'),('S_P_not232','S +P other 21 rec')]
names = {'ref': 'reference R peaks', 'det': 'detected R peaks (detect_r_peaks, 150 ms match)', 'inv': 'inverted signal, reference R peaks'}
print('| metric (%) | ' + ' | '.join(f'{names[m]}: 5 seeds mean ± sd | {names[m]}: 5-seed ensemble' for m in r) + ' |')
print('|---|' + '---|---|' * len(r))
for k, lab in keys:
    print(f'| {lab} | ' + ' | '.join(f"{r[m]['mean'][k]*100:.1f} ± {r[m]['sd'][k]*100:.1f} | {r[m]['ensemble'][k]*100:.1f}" for m in r) + ' |')
print('| j-index | ' + ' | '.join(f"{r[m]['mean']['j']:.3f} ± {r[m]['sd']['j']:.3f} | {r[m]['ensemble']['j']:.3f}" for m in r) + ' |')

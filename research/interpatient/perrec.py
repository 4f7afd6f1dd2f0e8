import sys,numpy as np
from analyze import load
z,p=load(sys.argv[1],int(sys.argv[2])); y=z['y'];rec=z['rec'];k=z['keep'];yp=p.argmax(1)
for r in np.unique(rec):
    m=k&(rec==r); cm=np.bincount(y[m]*4+yp[m],minlength=16).reshape(4,4)
    print(r, 'trueS',cm[1].sum(),'S_tp',cm[1,1],'S_fp',cm[:,1].sum()-cm[1,1],'| trueV',cm[2].sum(),'V_tp',cm[2,2],'V_fp',cm[:,2].sum()-cm[2,2],'| F_fp',cm[:,3].sum()-cm[3,3], 'N->', cm[0])

import sys, os, time, gc
sys.path.insert(0, os.path.dirname(__file__))
from seed_algorithm import process_partition_incremental
from synthetic import catalog, events
from cinematch.domain.ports import Record
from cinematch.services.columnar import fold_batch
from cinematch.services.projection import decode_records
def core(records, facts):
    ev, _ = decode_records(records, "")
    return fold_batch(ev, facts=facts).documents
films = catalog(); cm = {f["title"]: f for f in films}
raw = events(300_000, films=films)
batches = [raw[i:i+50000] for i in range(0, len(raw), 50000)]
records = [[Record(payload=p, partition=0, position=i) for i, p in enumerate(b)] for b in batches]
gc.collect(); gc.freeze()
T=[0,0,0]; D=[0,0,0]
for rb, rec in zip(batches, records):
    t=time.perf_counter(); s,a = process_partition_incremental(rb, cm); D[0]+=len(s)+len(a); del s,a; T[0]+=time.perf_counter()-t
    t=time.perf_counter(); D[1]+=core(rec, True); T[1]+=time.perf_counter()-t
    t=time.perf_counter(); D[2]+=core(rec, False); T[2]+=time.perf_counter()-t
print(T, D, T[0]/T[1], T[0]/T[2])

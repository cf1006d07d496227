import sys, os, time, gc
sys.path.insert(0, os.path.dirname(__file__))
from seed_algorithm import process_partition_incremental
from synthetic import catalog, events
from cinematch.domain.ports import Record
from cinematch.services.columnar import fold_batch
from cinematch.services.projection import decode_records
def core(records):
    ev, _ = decode_records(records, "")
    return fold_batch(ev).documents
films = catalog(); cm = {f["title"]: f for f in films}
raw = events(300_000, films=films)
batches = [raw[i:i+50000] for i in range(0, len(raw), 50000)]
records = [[Record(payload=p, partition=0, position=i) for i, p in enumerate(b)] for b in batches]
gc.collect(); gc.freeze()
for rb, rec in zip(batches, records):
    t=time.perf_counter(); s,a = process_partition_incremental(rb, cm); del s,a; ts=time.perf_counter()-t
    r=[]
    for _ in range(3):
        t=time.perf_counter(); core(rec); r.append(time.perf_counter()-t)
    print(f"seed {ts:.2f}s core runs " + " ".join(f"{x:.3f}" for x in r))

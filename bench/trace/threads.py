"""Every 20 ms while PID lives: each thread's state (R running, D waiting on the disk, S sleeping) and, when not
running, its kernel wait (wchan); per 5 s, the count of samples for each (name, state, wait).
usage: threads.py PID OUT"""
import collections
import os
import sys
import time

pid, out = int(sys.argv[1]), sys.argv[2]
t0, bucket, current = time.time(), collections.Counter(), 0


def flush(f, current):
    f.write(f"--- {current * 5}-{current * 5 + 5} s\n")
    for (name, state, wait), n in sorted(bucket.items(), key=lambda x: -x[1]):
        if n >= 5:
            f.write(f"  {name:16s} {state} {wait:28s} {n}\n")
    f.flush()
    bucket.clear()


with open(out, "w") as f:
    while os.path.exists(f"/proc/{pid}"):
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            break
        for tid in tids:
            try:
                st = open(f"/proc/{pid}/task/{tid}/stat").read()
                name, state = st[st.index("(") + 1:st.rindex(")")], st[st.rindex(")") + 2]
                wait = open(f"/proc/{pid}/task/{tid}/wchan").read() if state != "R" else ""
                bucket[(name, state, wait)] += 1
            except OSError:
                pass
        time.sleep(0.02)
        b = int((time.time() - t0) / 5)
        if b != current:
            flush(f, current)
            current = b
    flush(f, current)

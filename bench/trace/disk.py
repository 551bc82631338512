"""Every 0.5 s until killed: MB/s read and written, mean requests in flight and busy % of one block device, from
/sys/block/DEV/stat sampled every 0.1 s (bench/README.md, "Where the 10B's seconds go").
usage: disk.py OUT [DEV]   (DEV: vda by default)"""
import sys
import time

out, dev = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "vda"


def stat():
    return [int(x) for x in open(f"/sys/block/{dev}/stat").read().split()]


t0 = last = time.time()
prev, inflight = stat(), []
with open(out, "w") as f:
    while True:
        time.sleep(0.1)
        s, now = stat(), time.time()
        inflight.append(s[8])
        if now - last >= 0.5:
            dt = now - last
            rd, wr = (s[2] - prev[2]) * 512 / 1e6 / dt, (s[6] - prev[6]) * 512 / 1e6 / dt
            busy = (s[9] - prev[9]) / 10 / dt
            f.write(f"{now - t0:6.1f} r {rd:6.0f} w {wr:6.0f} MB/s inflight {sum(inflight) / len(inflight):5.1f} "
                    f"busy {busy:3.0f}%\n")
            f.flush()
            prev, inflight, last = s, [], now

"""Cut a (sparse) file into parts as `split -b SIZE FILE FILE.part` names them, keeping its holes as holes.
usage: split_sparse.py FILE SIZE_BYTES"""
import os
import sys

path, size = sys.argv[1], int(sys.argv[2])
total = os.path.getsize(path)
fd = os.open(path, os.O_RDONLY)
for n, start in enumerate(range(0, total, size)):
    end = min(total, start + size)
    name = f"{path}.part{chr(97 + n // 26)}{chr(97 + n % 26)}"
    out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.ftruncate(out, end - start)
    at = start
    while at < end:
        try:
            data = os.lseek(fd, at, os.SEEK_DATA)
        except OSError:
            break
        if data >= end:
            break
        hole = min(end, os.lseek(fd, data, os.SEEK_HOLE))
        for off in range(data, hole, 64 << 20):
            chunk = os.pread(fd, min(64 << 20, hole - off), off)
            os.pwrite(out, chunk, off - start)
        at = hole
    os.close(out)

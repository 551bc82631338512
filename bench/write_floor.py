"""The disk's write floor: writes BYTES non-zero bytes to PATH from one 8 MB buffer, in 8 MB writes, then fsync.
usage: write_floor.py BYTES PATH buffered|direct (direct: O_DIRECT, the last write rounded up to 4096 bytes)"""
import mmap
import os
import sys

size, path, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
block = 8 << 20
buf = mmap.mmap(-1, block)  # page-aligned, as O_DIRECT needs
buf.write(b"\x5a" * block)
flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | (os.O_DIRECT if mode == "direct" else 0)
fd = os.open(path, flags, 0o644)
view = memoryview(buf)
at = 0
while at < size:
    n = min(block, size - at)
    if mode == "direct":
        n = (n + 4095) // 4096 * 4096
    at += os.write(fd, view[:n])
os.fsync(fd)
os.close(fd)

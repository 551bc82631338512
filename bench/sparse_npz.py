"""Write a full-size big_vision PaliGemma checkpoint (.npz, stored zip, every tensor bf16 as '<V2') whose weights are
all zero and left as holes in a sparse file: the real names, shapes, headers and CRCs, but no disk blocks for the
data. For scale runs where the disk cannot hold a checkpoint and its converted copy (bench/scale.sh 28b-sparse).
usage: sparse_npz.py pg2-28b-224|pg2-10b-224|... out.npz"""
import os
import sys
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer"))
from synth_npz import shapes  # noqa: E402  (the peer generator's table of names and shapes)

ZERO = bytes(64 << 20)


class Holes:
    """A file whose writes of ZERO become seeks (holes); zipfile still computes the CRC over the zeros."""

    def __init__(self, f):
        self.f = f

    def write(self, b):
        if b is ZERO:
            self.f.seek(len(b), os.SEEK_CUR)
            return len(b)
        return self.f.write(b)

    def __getattr__(self, name):
        return getattr(self.f, name)


def main():
    variant, out = sys.argv[1:3]
    with open(out, "wb") as raw, zipfile.ZipFile(Holes(raw), "w", zipfile.ZIP_STORED, allowZip64=True) as z:
        for k, shp in shapes(variant).items():
            with z.open(k + ".npy", "w", force_zip64=True) as f:
                hdr = "{'descr': '<V2', 'fortran_order': False, 'shape': %s, }" % repr(tuple(shp))
                hdr = hdr + " " * (64 - (10 + len(hdr) + 1) % 64) + "\n"
                f.write(b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr.encode())
                left = 2
                for d in shp:
                    left *= d
                while left >= len(ZERO):
                    f.write(ZERO)
                    left -= len(ZERO)
                f.write(bytes(left))
    print(out)


if __name__ == "__main__":
    main()

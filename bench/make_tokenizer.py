"""A SentencePiece model of a given vocabulary size with Gemma's settings (BPE, byte fallback, identity
normalization, no dummy prefix, whitespace kept; <pad> 0, <eos> 1, <bos> 2, <unk> 3, the 256 byte pieces, then
normal pieces), written as sentencepiece's protobuf by hand, so the bench can tokenize for a full-size model.
usage: make_tokenizer.py VOCAB OUT.model"""
import struct
import sys

vocab, out = int(sys.argv[1]), sys.argv[2]


def varint(n):
    b = b""
    while True:
        low, n = n & 0x7F, n >> 7
        if n:
            b += bytes([low | 0x80])
        else:
            return b + bytes([low])


def field(num, wire, payload):
    return varint(num << 3 | wire) + payload


def ld(num, data):
    return field(num, 2, varint(len(data)) + data)


def piece(text, score, kind):  # kind: 1 normal, 2 unknown, 3 control, 6 byte
    return ld(1, ld(1, text.encode()) + field(2, 5, struct.pack("<f", score)) + field(3, 0, varint(kind)))


pieces = [piece("<pad>", 0, 3), piece("<eos>", 0, 3), piece("<bos>", 0, 3), piece("<unk>", 0, 2)]
pieces += [piece(f"<0x{b:02X}>", 0, 6) for b in range(256)]
letters = "abcdefghijklmnopqrstuvwxyz\u2581\n"
normal = list(letters) + [a + b for a in letters for b in letters]
i = 0
while len(pieces) < vocab:
    text = normal[i] if i < len(normal) else f"\u2581w{i}"
    pieces.append(piece(text, -float(i), 1))
    i += 1
trainer = field(3, 0, varint(2)) + field(4, 0, varint(vocab)) + field(35, 0, varint(1))
trainer += field(40, 0, varint(3)) + field(41, 0, varint(2)) + field(42, 0, varint(1)) + field(43, 0, varint(0))  # unk bos eos pad
normalizer = ld(1, b"identity") + field(3, 0, varint(0)) + field(4, 0, varint(0))
with open(out, "wb") as f:
    f.write(b"".join(pieces) + ld(2, trainer) + ld(3, normalizer))

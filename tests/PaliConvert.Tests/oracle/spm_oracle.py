"""SentencePiece as the tokenizer oracle (Debian's python3-sentencepiece).
  spm_oracle.py train CORPUS PREFIX VOCAB BYTE_FALLBACK(0|1) [NORMALIZER [USER_SYMBOLS,...]]   Gemma's settings: BPE, digits split, identity
                                                                          normalization, no dummy prefix, whitespace kept,
                                                                          <pad> 0, <eos> 1, <bos> 2, <unk> 3
  spm_oracle.py encode MODEL STRINGS.json                                 [{"ids": [...], "decoded": "..."}, ...]
  spm_oracle.py load MODEL                                                "ok", or "refused: ..." as sentencepiece loads it"""
import json
import sys

import sentencepiece as spm

if sys.argv[1] == "train":
    corpus, prefix, vocab, byte_fallback = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1"
    normalizer = sys.argv[6] if len(sys.argv) > 6 else "identity"
    user = [u for u in sys.argv[7].split(",") if u] if len(sys.argv) > 7 else []
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=prefix, vocab_size=vocab, model_type="bpe", byte_fallback=byte_fallback,
        split_digits=True, normalization_rule_name=normalizer, add_dummy_prefix=False, remove_extra_whitespaces=False,
        pad_id=0, eos_id=1, bos_id=2, unk_id=3, pad_piece="<pad>", eos_piece="<eos>", bos_piece="<bos>", unk_piece="<unk>",
        allow_whitespace_only_pieces=True, user_defined_symbols=user, character_coverage=0.999, max_sentence_length=100000, minloglevel=2)
elif sys.argv[1] == "load":
    try:
        spm.SentencePieceProcessor(model_file=sys.argv[2])
        print("ok")
    except Exception as e:  # sentencepiece raises RuntimeError or OSError with its own message
        print("refused: " + str(e).splitlines()[0])
else:
    sp = spm.SentencePieceProcessor(model_file=sys.argv[2])
    strings = json.load(open(sys.argv[3], encoding="utf-8"))
    out = []
    for s in strings:
        ids = sp.encode(s)
        out.append({"ids": ids, "decoded": sp.decode(ids)})
    print(json.dumps(out))

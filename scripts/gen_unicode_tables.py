#!/usr/bin/python3
"""Writes src/lethe/tokenize/unicode_data.cpp: the Unicode and HTML tables behind Lethe's CLIP
text cleaning (src/lethe/tokenize/unicode.h, html.h, ftfy.h).

Every table is read off the running Python, because the behaviour being reproduced is Python's
(OpenCLIP's tokenizer is Python): str.isspace, str.isdecimal, str.lower with its final-sigma
rule, unicodedata categories and NFKC, html.entities.html5 and html.unescape's replacement
tables. Run it with the Python whose Unicode version the tables should have (Debian's
/usr/bin/python3 3.11: Unicode 14.0.0):

    /usr/bin/python3 scripts/gen_unicode_tables.py [OUTPUT]

OUTPUT defaults to src/lethe/tokenize/unicode_data.cpp next to this script's repository.
"""
import html
import html.entities
import pathlib
import sys
import unicodedata

MAX_CODE_POINT = 0x10FFFF
SIGMA = "\u03a3"


def code_points():
    """Every code point except the surrogates (UTF-8 cannot carry those)."""
    return (c for c in range(MAX_CODE_POINT + 1) if not 0xD800 <= c <= 0xDFFF)


def ranges(points):
    """Sorted code points → inclusive (first, last) runs."""
    out = []
    for c in sorted(points):
        if out and out[-1][1] + 1 == c:
            out[-1][1] = c
        else:
            out.append([c, c])
    return out


def map_runs(mapping):
    """A 1:1 code point map → (first, last, stride, delta) runs: every c in [first, last] with
    (c - first) % stride == 0 maps to c + delta, and no other c in the run is mapped."""
    items = sorted(mapping.items())
    out = []
    i = 0
    while i < len(items):
        first, target = items[i]
        delta = target - first
        last, stride = first, 1
        j = i + 1
        if j < len(items) and items[j][1] - items[j][0] == delta:
            stride = items[j][0] - first
            while j < len(items) and items[j][1] - items[j][0] == delta and \
                    items[j][0] - last == stride:
                last = items[j][0]
                j += 1
        out.append((first, last, stride, delta))
        i = j
    return out


def cpp_string(text):
    """A C++ string literal of text's UTF-8 bytes: printable ASCII as is, the rest as octal
    escapes (always three digits, so no escape swallows the character after it)."""
    out = []
    for b in text.encode("utf-8"):
        ch = chr(b)
        if 0x20 <= b < 0x7F and ch not in '\\"?':
            out.append(ch)
        else:
            out.append(f"\\{b:03o}")
    return '"' + "".join(out) + '"'


def wrap(items, indent="    ", width=100):
    """Comma-separated items packed into lines of at most `width` characters."""
    lines, line = [], indent
    for item in items:
        piece = item + ","
        if len(line) + len(piece) + 1 > width and line.strip():
            lines.append(line.rstrip())
            line = indent
        line += piece + " "
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines)


def range_table(name, points, comment):
    rows = [f"{{0x{a:X}, 0x{b:X}}}" for a, b in ranges(points)]
    return (f"// {comment}\nconstexpr Range k{name}Data[] = {{\n{wrap(rows)}\n}};\n",
            f"const std::span<const Range> k{name} = k{name}Data;")


def map_tables(name, mapping, comment):
    """A code point → string map as runs of 1:1 mappings plus a list of expansions."""
    single = {c: ord(t) for c, t in mapping.items() if len(t) == 1}
    multi = {c: t for c, t in mapping.items() if len(t) != 1}
    runs = [f"{{0x{a:X}, 0x{b:X}, {s}, {d}}}" for a, b, s, d in map_runs(single)]
    expansions = [f"{{0x{c:X}, {cpp_string(t)}}}" for c, t in sorted(multi.items())]
    body = (f"// {comment}\nconstexpr MapRun k{name}RunsData[] = {{\n{wrap(runs)}\n}};\n"
            f"constexpr Expansion k{name}ExpansionsData[] = {{\n{wrap(expansions)}\n}};\n")
    spans = (f"const std::span<const MapRun> k{name}Runs = k{name}RunsData;\n"
             f"const std::span<const Expansion> k{name}Expansions = k{name}ExpansionsData;")
    return body, spans


def lower_ends_in_final_sigma(text):
    return (text + SIGMA).lower().endswith("\u03c2")


def case_properties():
    """Python's Cased and Case_Ignorable, read off str.lower's final-sigma rule: U+03A3 becomes
    final ς when the nearest character before it that is not case-ignorable is cased (and no
    cased one follows). Returns (cased and not case-ignorable, case-ignorable)."""
    cased, ignorable = set(), set()
    for c in code_points():
        ch = chr(c)
        alone = lower_ends_in_final_sigma(ch)         # ch is cased and not case-ignorable
        after_a = lower_ends_in_final_sigma("A" + ch)  # ... or ch is case-ignorable
        if alone:
            cased.add(c)
        elif after_a:
            ignorable.add(c)
        # Cross-check with the following-context half of the rule.
        assert (("A" + SIGMA + ch).lower()[1] == "\u03c3") == alone, hex(c)
    return cased, ignorable


def windows_1252_c1():
    """Bytes 0x80..0x9F as Windows-1252, the five undefined ones passed through (ftfy's
    "sloppy-windows-1252", which is also html.unescape's table for &#128; .. &#159;)."""
    out = []
    for b in range(0x80, 0xA0):
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(b))
    return out


def html_tables():
    c1 = windows_1252_c1()
    expected = {0x00: "\ufffd", 0x0D: "\r"}
    expected.update({0x80 + i: ch for i, ch in enumerate(c1)})
    assert html._invalid_charrefs == expected, "html.unescape's replacement table changed"

    html5 = html.entities.html5
    names = sorted({n.rstrip(";") for n in html5}, key=lambda n: n.encode())
    rows = []
    for name in names:
        assert name + ";" in html5, f"{name} has no ';' form"
        value = html5[name + ";"]
        legacy = name in html5
        assert not legacy or html5[name] == value
        # ftfy also decodes "&NAME;" for an all-lower-case name when html.unescape would not.
        upper = "nullptr"
        entity_upper = "&" + name.upper() + ";"
        if name == name.lower() and html.unescape(entity_upper) == entity_upper:
            upper = cpp_string(value.upper())
        rows.append(f"{{{cpp_string(name)}, {cpp_string(value)}, "
                    f"{'true' if legacy else 'false'}, {upper}}}")
    invalid = sorted(html._invalid_codepoints)
    c1_rows = [f"0x{ord(ch):X}" for ch in c1]
    body = (
        "// html.entities.html5 by name without ';' (sorted bytewise): value, whether\n"
        "// html.unescape also accepts the name without ';', and ftfy's all-caps variant.\n"
        f"constexpr Entity kEntitiesData[] = {{\n{wrap(rows)}\n}};\n"
        "// Code points html.unescape turns into nothing (html._invalid_codepoints).\n"
        f"constexpr Range kHtmlInvalidCodepointsData[] = {{\n"
        f"{wrap(f'{{0x{a:X}, 0x{b:X}}}' for a, b in ranges(invalid))}\n}};\n")
    spans = ("const std::span<const Entity> kEntities = kEntitiesData;\n"
             "const std::span<const Range> kHtmlInvalidCodepoints = kHtmlInvalidCodepointsData;\n"
             "// Bytes 0x80..0x9F read as Windows-1252 (undefined bytes kept as C1 controls).\n"
             f"const std::array<char32_t, 32> kWindows1252C1 = {{\n{wrap(c1_rows)}\n}};")
    return body, spans


def main():
    out_path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else \
        pathlib.Path(__file__).resolve().parent.parent / "src/lethe/tokenize/unicode_data.cpp"
    letter, number, decimal, space, lower = set(), set(), set(), set(), {}
    for c in code_points():
        ch = chr(c)
        category = unicodedata.category(ch)
        if category in ("Lu", "Ll", "Lt", "Lm", "Lo"):
            letter.add(c)
        if category in ("Nd", "Nl", "No"):
            number.add(c)
        if ch.isdecimal():
            decimal.add(c)
        if ch.isspace():
            space.add(c)
        if ch.lower() != ch:
            lower[c] = ch.lower()
    cased, ignorable = case_properties()
    width = {0x3000: " "}  # ftfy's WIDTH_MAP: U+3000 and the NFKC forms of U+FF01..U+FFEF
    for c in range(0xFF01, 0xFFF0):
        nfkc = unicodedata.normalize("NFKC", chr(c))
        if nfkc != chr(c):
            width[c] = nfkc

    parts = [
        range_table("Letter", letter, "\\p{L}: general categories Lu Ll Lt Lm Lo."),
        range_table("Number", number, "\\p{N}: general categories Nd Nl No."),
        range_table("Decimal", decimal, "str.isdecimal (Python re's \\d)."),
        range_table("Space", space, "str.isspace (Python re's \\s, str.split, str.strip)."),
        range_table("Cased", cased, "Cased and not Case_Ignorable, as str.lower sees them."),
        range_table("CaseIgnorable", ignorable, "Case_Ignorable, as str.lower sees it."),
        map_tables("Lower", lower, "chr(c).lower() where it differs from chr(c) (U+03A3 → σ "
                   "here; unicode.cpp applies the final-sigma rule)."),
        map_tables("Width", width, "ftfy's fix_character_width: U+3000 → ' ' and U+FF01..U+FFEF "
                   "→ their NFKC forms."),
        html_tables(),
    ]
    version = sys.version.split()[0]
    text = (
        f"// GENERATED by scripts/gen_unicode_tables.py from Python {version} (unicodedata "
        f"{unicodedata.unidata_version},\n"
        "// html.entities): do not edit. Regenerate after a Python/Unicode upgrade with\n"
        "//   /usr/bin/python3 scripts/gen_unicode_tables.py src/lethe/tokenize/unicode_data.cpp\n"
        "// Code points are compared by value; ranges are inclusive and sorted.\n"
        '#include "lethe/tokenize/unicode_data.h"\n\n'
        "namespace lethe::tokenize::unicode_data {\n\n"
        "namespace {\n\n"
        + "\n".join(body for body, _ in parts)
        + "\n}  // namespace\n\n"
        + "\n".join(spans for _, spans in parts)
        + f'\n\nconst char* const kUnicodeVersion = "{unicodedata.unidata_version}";\n\n'
        "}  // namespace lethe::tokenize::unicode_data\n")
    out_path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

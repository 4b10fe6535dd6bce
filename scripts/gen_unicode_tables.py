#!/usr/bin/env python3
"""Generates src/tokenizer/unicode_tables.cpp from the Unicode Character Database.

The tokenizers need a few Unicode properties and no ICU:
  * the character classes of the GPT-2 pre-tokenizer regex: \\p{L} (general categories Lu Ll
    Lt Lm Lo), \\p{N} (Nd Nl No) and \\s (the White_Space property);
  * what NFC normalization needs: canonical combining classes, full canonical
    decompositions, primary composites (canonical pairs minus Full_Composition_Exclusion)
    and the NFC_Quick_Check property.

Usage (a development tool; the runtime only contains its output):
  apt-get install -y unicode-data      # Debian/Ubuntu: /usr/share/unicode
  python3 scripts/gen_unicode_tables.py [--ucd /usr/share/unicode] \\
      [--max-age 15.0] > src/tokenizer/unicode_tables.cpp

--max-age keeps only characters assigned in that Unicode version or earlier (DerivedAge.txt),
which emulates an older database with a newer one. See docs/tokenizers.md.
"""

import argparse
import os
import re
import sys


def parse_range(text):
    a, _, b = text.strip().partition("..")
    a = int(a, 16)
    return a, (int(b, 16) if b else a)


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                yield [field.strip() for field in line.split(";")]


def version_key(v):
    return tuple(int(x) for x in v.split("."))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ucd", default="/usr/share/unicode")
    ap.add_argument("--max-age", default=None, help="e.g. 14.0: drop newer characters")
    args = ap.parse_args()
    ucd = args.ucd

    readme = open(os.path.join(ucd, "ReadMe.txt"), encoding="utf-8").read()
    m = re.search(r"Version (\d+\.\d+\.\d+)", readme)
    ucd_version = m.group(1) if m else "unknown"

    # Ages, to emulate an older version.
    allowed = None
    if args.max_age:
        limit = version_key(args.max_age)
        allowed = set()
        for fields in read_lines(os.path.join(ucd, "DerivedAge.txt")):
            a, b = parse_range(fields[0])
            if version_key(fields[1]) <= limit:
                allowed.update(range(a, b + 1))

    def ok(cp):
        return allowed is None or cp in allowed

    # UnicodeData.txt: general category, ccc, decomposition.
    gc = {}
    ccc = {}
    decomp = {}
    first = None
    with open(os.path.join(ucd, "UnicodeData.txt"), encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split(";")
            cp = int(fields[0], 16)
            name = fields[1]
            if name.endswith(", First>"):
                first = cp
                continue
            if name.endswith(", Last>"):
                cps = range(first, cp + 1)
            else:
                cps = [cp]
            for c in cps:
                if not ok(c):
                    continue
                gc[c] = fields[2]
                if int(fields[3]):
                    ccc[c] = int(fields[3])
                if fields[5] and not fields[5].startswith("<"):
                    decomp[c] = [int(x, 16) for x in fields[5].split()]

    white_space = set()
    for fields in read_lines(os.path.join(ucd, "PropList.txt")):
        if fields[1] == "White_Space":
            a, b = parse_range(fields[0])
            white_space.update(c for c in range(a, b + 1) if ok(c))

    full_exclusion = set()
    nfc_qc = {}
    for fields in read_lines(os.path.join(ucd, "DerivedNormalizationProps.txt")):
        a, b = parse_range(fields[0])
        if fields[1] == "Full_Composition_Exclusion":
            full_exclusion.update(range(a, b + 1))
        elif fields[1] == "NFC_QC":
            for c in range(a, b + 1):
                if ok(c):
                    nfc_qc[c] = {"N": 1, "M": 2}[fields[2]]

    # ---- GPT-2 regex classes: 1 letter, 2 number, 3 white space, 0 other ----
    def cls(c):
        if c in white_space:
            return 3
        g = gc.get(c, "Cn")
        if g[0] == "L":
            return 1
        if g[0] == "N":
            return 2
        return 0

    def runs(value_of):
        out = []
        prev = None
        for c in range(0x110000):
            v = value_of(c)
            if v != prev:
                out.append((c, v))
                prev = v
        return out

    class_runs = runs(cls)
    ccc_runs = runs(lambda c: ccc.get(c, 0))
    qc_runs = runs(lambda c: nfc_qc.get(c, 0))

    # ---- Full canonical decompositions (recursive), Hangul excluded (algorithmic) ----
    def full(c):
        if c in decomp:
            out = []
            for d in decomp[c]:
                out.extend(full(d))
            return out
        return [c]

    decomp_entries = []
    decomp_data = []
    for c in sorted(decomp):
        seq = full(c)
        decomp_entries.append((c, len(decomp_data), len(seq)))
        decomp_data.extend(seq)

    # ---- Primary composites: canonical decompositions of exactly two characters whose
    # composite is not Full_Composition_Exclusion ----
    comps = []
    for c, d in decomp.items():
        if len(d) == 2 and c not in full_exclusion:
            comps.append((d[0], d[1], c))
    comps.sort()

    w = sys.stdout.write
    w("// Generated by scripts/gen_unicode_tables.py from the Unicode Character Database\n")
    w("// %s%s (UnicodeData.txt, PropList.txt, DerivedNormalizationProps.txt).\n" %
      (ucd_version, "" if not args.max_age else ", characters up to Unicode %s" % args.max_age))
    w("// DO NOT EDIT: regenerate (see docs/tokenizers.md).\n")
    w('#include "tokenizer/unicode_tables.h"\n\n')
    w("namespace tinylm::unicode_tables {\n\n")
    w('const char kUnicodeVersion[] = "%s";\n\n' % (args.max_age or ucd_version))

    def emit_runs(name, rs, comment):
        w("// %s\n" % comment)
        w("const uint32_t %s[] = {\n" % name)
        items = ["0x%X" % (c << 8 | v) for c, v in rs]
        for i in range(0, len(items), 8):
            w("    " + ", ".join(items[i:i + 8]) + ",\n")
        w("};\n")
        w("const size_t %sSize = %d;\n\n" % (name, len(rs)))

    emit_runs("kClassRuns", class_runs,
              "(first code point << 8 | class): 0 other, 1 \\p{L}, 2 \\p{N}, 3 White_Space")
    emit_runs("kCccRuns", ccc_runs, "(first code point << 8 | canonical combining class)")
    emit_runs("kNfcQcRuns", qc_runs, "(first code point << 8 | NFC_Quick_Check): 0 Yes, 1 No, 2 Maybe")

    w("// Full canonical decompositions (Hangul syllables excluded: algorithmic).\n")
    w("const DecompositionEntry kDecompositions[] = {\n")
    for c, off, n in decomp_entries:
        w("    {0x%X, %d, %d},\n" % (c, off, n))
    w("};\n")
    w("const size_t kDecompositionsSize = %d;\n" % len(decomp_entries))
    w("const uint32_t kDecompositionData[] = {\n")
    items = ["0x%X" % x for x in decomp_data]
    for i in range(0, len(items), 10):
        w("    " + ", ".join(items[i:i + 10]) + ",\n")
    w("};\n\n")

    w("// Primary composites, sorted by (first, second).\n")
    w("const CompositionEntry kCompositions[] = {\n")
    for a, b, c in comps:
        w("    {0x%X, 0x%X, 0x%X},\n" % (a, b, c))
    w("};\n")
    w("const size_t kCompositionsSize = %d;\n\n" % len(comps))
    w("}  // namespace tinylm::unicode_tables\n")


if __name__ == "__main__":
    main()

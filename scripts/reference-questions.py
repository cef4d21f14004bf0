#!/usr/bin/env python3
"""Writes Quarry's reference questions: short software sentences in many
human languages, one per line as `LANGUAGE<TAB>TEXT`, taken from the
translation catalogues (.po) that Django ships (BSD-3-Clause).

Quarry embeds them once per model as queries; how close a chunk's vector
lies to its nearest reference questions measures how much of a "hub" it is,
near every question whatever it asks, in any language (see `Hubness` in
CONTRIBUTING.md). Only which texts are chosen matters, so the choice is
deterministic: the messages translated into the most languages first.

usage: reference-questions.py DJANGO_WHEEL OUTPUT
"""
import ast
import collections
import re
import sys
import zipfile

PER_LANGUAGE = 60
# Regional variants repeat their base language; these four differ in script or usage.
KEPT_VARIANTS = {"zh_Hans", "zh_Hant", "pt_BR", "sr_Latn"}
ENTRY = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$')
PLACEHOLDER = re.compile(r"%\(\w+\)[sdrif]|%[sdrif]|\{\w*\}|<[^>]+>|&\w+;")


def catalogue(lines):
    """(context, msgid) -> first msgstr, for translated, non-fuzzy entries."""
    entries, current, fuzzy, key = {}, {}, False, None

    def flush():
        nonlocal current, fuzzy
        text = current.get("msgstr") or current.get("msgstr[0]")
        if current.get("msgid") and text and not fuzzy:
            entries[(current.get("msgctxt", ""), current["msgid"])] = text
        current, fuzzy = {}, False

    for line in lines:
        line = line.rstrip("\n")
        translated = "msgstr" in current or "msgstr[0]" in current
        if line.startswith("#,") and "fuzzy" in line:
            if translated:
                flush()
            fuzzy = True
        elif line.startswith("#") or not line.strip():
            if translated:
                flush()
        elif match := ENTRY.match(line):
            if match.group(1) in ("msgid", "msgctxt") and translated:
                flush()
            key = match.group(1)
            current[key] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
    flush()
    return entries


def clean(text):
    return " ".join(PLACEHOLDER.sub(" ", text).split())


def main(wheel, output):
    by_language = collections.defaultdict(dict)
    with zipfile.ZipFile(wheel) as archive:
        for name in sorted(archive.namelist()):
            if not name.endswith("/LC_MESSAGES/django.po"):
                continue
            app, rest = name.split("/locale/")
            language = rest.split("/")[0]
            if language.startswith("en") or ("_" in language and language not in KEPT_VARIANTS):
                continue
            lines = archive.read(name).decode("utf-8").splitlines()
            for (context, message), text in catalogue(lines).items():
                by_language[language][(app, context, message)] = clean(text)
    counts = collections.Counter(key for entries in by_language.values() for key in entries)
    common = sorted((key for key in counts if len(clean(key[2])) >= 8 and len(clean(key[2]).split()) >= 2),
                    key=lambda key: (-counts[key], key))
    rows = [("en", clean(key[2])) for key in common[:PER_LANGUAGE]]
    for language in sorted(by_language):
        texts = [by_language[language][key] for key in common if by_language[language].get(key)]
        if len(texts) >= PER_LANGUAGE // 2:
            rows.extend((language, text) for text in texts[:PER_LANGUAGE])
    with open(output, "w", encoding="utf-8") as out:
        for language, text in rows:
            out.write(f"{language}\t{text}\n")
    print(f"{len(rows)} reference questions in {len({r[0] for r in rows})} languages", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    main(sys.argv[1], sys.argv[2])

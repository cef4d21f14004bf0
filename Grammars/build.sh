#!/usr/bin/env bash
# Builds the tree-sitter grammars pinned in Grammars/manifest.json into loadable shared
# libraries, from sdists fetched from PyPI (never from sources kept in this repository).
#
#   Grammars/build.sh [LANGUAGE ...]     # no argument: every grammar in the manifest
#
# Outputs go to $QUARRY_GRAMMARS (default $QUARRY_HOME/grammars, QUARRY_HOME defaulting to
# ~/.cache/quarry): <lang>.so, <lang>.scm (copied from Grammars/queries), manifest.json.
# Downloads are cached, sha256-verified, in $QUARRY_HOME/downloads. A re-run downloads and
# compiles nothing that is up to date, but always refreshes the queries and the runtime manifest.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
manifest=$here/manifest.json
queries=$here/queries
home=${QUARRY_HOME:-$HOME/.cache/quarry}
out=${QUARRY_GRAMMARS:-$home/grammars}
downloads=$home/downloads
python=${PYTHON:-python3}
# The package index's simple API (pip's own setting when one is configured).
index=${QUARRY_PYPI_INDEX:-${PIP_INDEX_URL:-https://pypi.org/simple}}
cc=${CC:-cc}
# The machines this runs on are small and shared: never more than two compilers at once.
max_jobs=2
# Scanners allocate through libtree-sitter's allocator, so a client's ts_set_allocator applies to them.
cflags=(-O2 -fPIC -std=c11 -D_DEFAULT_SOURCE -DTREE_SITTER_REUSE_ALLOCATOR -w)
ldflags=(-shared -Wl,--no-undefined -ltree-sitter)
# Bump when the way a grammar is built changes, so stamps from older builds are invalidated.
recipe=1

say() { printf '%s\n' "$*"; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

command -v "$python" >/dev/null || die "$python not found (python3 standard library is needed to read the manifest)"
command -v "$cc" >/dev/null || die "C compiler '$cc' not found"
[[ -f $manifest ]] || die "missing $manifest"
mkdir -p "$out" "$downloads"

work=$(mktemp -d "${TMPDIR:-/tmp}/quarry-grammars.XXXXXX")
cleanup() {
    local pids
    pids=$(jobs -pr)
    [[ -z $pids ]] || kill $pids 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Flatten the manifest into tab-separated lines the shell can read without a JSON parser
# ("-" stands for an empty field: read collapses consecutive tabs).
#   H <package> <version> <sdist> <sha256> <directory> <files...space-separated>
#   G <language> <package> <version> <sdist> <sha256> <symbol> <sources> <includes> <query> <abi-min> <abi-max>
"$python" - "$manifest" "$@" >"$work/plan.tsv" <<'PY'
import json, sys
manifest, wanted = sys.argv[1], sys.argv[2:]
m = json.load(open(manifest))
h = m["headers"]
print("\t".join(["H", h["package"], h["version"], h["sdist"], h["sha256"], h["directory"], " ".join(h["files"])]))
known = {g["language"] for g in m["grammars"]}
unknown = [w for w in wanted if w not in known]
if unknown:
    sys.exit(f"build.sh: error: not in the manifest: {' '.join(unknown)} (known: {' '.join(sorted(known))})")
for g in m["grammars"]:
    if wanted and g["language"] not in wanted:
        continue
    print("\t".join(["G", g["language"], g["package"], g["version"], g["sdist"], g["sha256"], g["symbol"],
                     " ".join(g["sources"]), " ".join(g.get("includes", [])) or "-", g.get("query") or "-",
                     str(m["abi"]["min"]), str(m["abi"]["max"])]))
PY

# fetch <label> <package> <version> <sdist> <sha256>: makes sure the verified sdist is in $downloads.
# An sdist is only an archive here: it is fetched by file name from the index's JSON listing
# (PEP 691) and checked against the pinned sha256. `pip download --no-binary` would first prepare
# the package's metadata, which for some sdists means building Cython from source (minutes).
fetch() {
    local label=$1 package=$2 version=$3 sdist=$4 sha=$5 file=$downloads/$4 actual
    if [[ ! -f $file ]]; then
        say "$label: downloading $package $version"
        "$python" - "$index" "$package" "$sdist" "$sha" "$downloads" <<'PY' || die "downloading $sdist failed"
import hashlib, json, os, re, sys, tempfile, urllib.request
index, package, sdist, sha, downloads = sys.argv[1:6]
name = re.sub(r"[-_.]+", "-", package).lower()
request = urllib.request.Request(f"{index.rstrip('/')}/{name}/",
                                 headers={"Accept": "application/vnd.pypi.simple.v1+json"})
with urllib.request.urlopen(request, timeout=60) as response:
    files = json.load(response)["files"]
match = next((f for f in files if f["filename"] == sdist), None)
if match is None:
    sys.exit(f"build.sh: error: {index} lists no {sdist} for {package}")
listed = match.get("hashes", {}).get("sha256")
if listed and listed != sha:
    sys.exit(f"build.sh: error: {index} lists sha256 {listed} for {sdist}, the manifest pins {sha}")
digest = hashlib.sha256()
fd, partial = tempfile.mkstemp(prefix=".partial.", dir=downloads)
try:
    with os.fdopen(fd, "wb") as out, urllib.request.urlopen(match["url"], timeout=300) as response:
        while block := response.read(1 << 20):
            digest.update(block)
            out.write(block)
    if digest.hexdigest() != sha:
        sys.exit(f"build.sh: error: sha256 mismatch for {sdist}: expected {sha}, got {digest.hexdigest()}")
    os.replace(partial, os.path.join(downloads, sdist))
finally:
    if os.path.exists(partial):
        os.remove(partial)
PY
    fi
    actual=$(sha256sum "$file" | cut -d' ' -f1)
    [[ $actual == "$sha" ]] || die "sha256 mismatch for $file: expected $sha, got $actual (delete the file to download it again, or fix the manifest)"
}

# extract_sources <language...>: unpacks the sources and includes of the named grammars into
# $work/<language>/src, reading each sdist once however many grammars it holds (one pass over the
# 61 MB language pack instead of one per grammar), and prints "<bytes> <language>" per grammar.
extract_sources() {
    "$python" - "$work/plan.tsv" "$downloads" "$work" "$@" <<'PY'
import collections, os, sys, tarfile
plan, downloads, work, wanted = sys.argv[1], sys.argv[2], sys.argv[3], set(sys.argv[4:])
by_sdist = collections.defaultdict(dict)   # sdist -> {relative path: [languages]}
for line in open(plan):
    fields = line.rstrip("\n").split("\t")
    if fields[0] != "G" or fields[1] not in wanted:
        continue
    lang, sdist, sources, includes = fields[1], fields[4], fields[7].split(), fields[8].split()
    for rel in sources + [i for i in includes if i != "-"]:
        by_sdist[sdist].setdefault(rel, []).append(lang)
sizes = collections.Counter()
for sdist, paths in by_sdist.items():
    found = set()
    with tarfile.open(os.path.join(downloads, sdist)) as tar:
        for member in tar:
            top, _, rel = member.name.partition("/")
            if rel not in paths or not member.isfile():
                continue
            data = tar.extractfile(member).read()
            for lang in paths[rel]:
                target = os.path.join(work, lang, "src", rel)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as out:
                    out.write(data)
                sizes[lang] += len(data)
            found.add(rel)
    missing = set(paths) - found
    if missing:
        sys.exit(f"build.sh: error: {sdist} lacks {' '.join(sorted(missing))}")
for lang in wanted:
    print(sizes[lang], lang)
PY
}

# abi_of <library> <symbol>: the ABI version libtree-sitter reports for the built grammar.
abi_of() {
    "$python" - "$1" "$2" <<'PY'
import ctypes, sys
runtime = ctypes.CDLL("libtree-sitter.so.0")
runtime.ts_language_version.argtypes = [ctypes.c_void_p]
runtime.ts_language_version.restype = ctypes.c_uint32
grammar = getattr(ctypes.CDLL(sys.argv[1]), sys.argv[2])
grammar.restype = ctypes.c_void_p
print(runtime.ts_language_version(grammar()))
PY
}

compiler_id=$("$cc" --version 2>/dev/null | head -n1)
IFS=$'\t' read -r _ h_package h_version h_sdist h_sha h_dir h_files < <(grep '^H' "$work/plan.tsv")

# stamp_key <fields of a G line>: everything that determines the built library.
stamp_key() {
    printf 'recipe=%s\nsdist=%s\nsha256=%s\nsymbol=%s\nsources=%s\nincludes=%s\nheaders=%s\ncc=%s\ncflags=%s\n' \
        "$recipe" "$4" "$5" "$6" "$7" "$8" "$h_sha" "$compiler_id" "${cflags[*]} ${ldflags[*]}"
}

# build <fields of a G line>: compiles one grammar into $out/<lang>.so, atomically.
build() {
    local lang=$1 package=$2 version=$3 sdist=$4 sha=$5 symbol=$6 sources=$7 includes=$8
    local abi_min=${10} abi_max=${11}
    local dir=$work/$lang started=$SECONDS objects=() src abi
    say "$lang: compiling $package $version"
    for src in $sources; do
        objects+=("$dir/$(basename "${src%.c}").$((${#objects[@]})).o")
        # Quoted includes next to each source win over the shared headers.
        "$cc" "${cflags[@]}" -I "$work/include" -c "$dir/src/$src" -o "${objects[-1]}" \
            >>"$dir/build.log" 2>&1 || { cat "$dir/build.log" >&2; die "$lang: compiling $src failed"; }
    done
    "$cc" "${objects[@]}" "${ldflags[@]}" -o "$out/.$lang.so.tmp" >>"$dir/build.log" 2>&1 \
        || { cat "$dir/build.log" >&2; die "$lang: linking failed"; }
    abi=$(abi_of "$out/.$lang.so.tmp" "$symbol") || die "$lang: cannot load $symbol from the built library"
    ((abi >= abi_min && abi <= abi_max)) || die "$lang: ABI $abi is outside what libtree-sitter loads ($abi_min-$abi_max)"
    mv -f "$out/.$lang.so.tmp" "$out/$lang.so"
    { stamp_key "$@"; printf 'abi=%s\n' "$abi"; } >"$out/.$lang.stamp"
    say "$lang: built $lang.so (ABI $abi) in $((SECONDS - started))s"
}

# Decide what is stale before fetching anything.
stale=()
while IFS=$'\t' read -r kind lang package version sdist sha symbol sources includes query abi_min abi_max; do
    [[ $kind == G ]] || continue
    if [[ -f $out/$lang.so && -f $out/.$lang.stamp ]] &&
        [[ "$(grep -v '^abi=' "$out/.$lang.stamp")" == "$(stamp_key "$lang" "$package" "$version" "$sdist" "$sha" "$symbol" "$sources" "$includes")" ]]; then
        say "$lang: up to date ($package $version)"
    else
        stale+=("$lang")
    fi
done <"$work/plan.tsv"

if ((${#stale[@]} > 0)); then
    fetch headers "$h_package" "$h_version" "$h_sdist" "$h_sha"
    while IFS=$'\t' read -r -a fields; do
        [[ ${fields[0]} == G && " ${stale[*]} " == *" ${fields[1]} "* ]] || continue
        fetch "${fields[1]}" "${fields[2]}" "${fields[3]}" "${fields[4]}" "${fields[5]}"
    done <"$work/plan.tsv"
    mkdir -p "$work/include/tree_sitter"
    "$python" - "$downloads/$h_sdist" "$work/include/tree_sitter" "$h_dir" $h_files <<'PY'
import os, sys, tarfile
archive, dest, directory, wanted = sys.argv[1], sys.argv[2], sys.argv[3], set(sys.argv[4:])
with tarfile.open(archive) as tar:
    for member in tar:
        name = os.path.basename(member.name)
        if member.isfile() and name in wanted and member.name.partition("/")[2] == f"{directory}/{name}":
            with open(os.path.join(dest, name), "wb") as out:
                out.write(tar.extractfile(member).read())
            wanted.discard(name)
if wanted:
    sys.exit(f"build.sh: error: {os.path.basename(archive)} lacks {' '.join(sorted(wanted))}")
PY
    # Largest grammars first, so the two compiler slots finish together (Kotlin's parser.c alone is 31 MB).
    order=$(extract_sources "${stale[@]}" | sort -rn | cut -d' ' -f2) || die "extracting grammar sources failed"

    pids=()
    for lang in $order; do
        IFS=$'\t' read -r -a fields < <(awk -F'\t' -v l="$lang" '$1 == "G" && $2 == l' "$work/plan.tsv")
        while (($(jobs -pr | wc -l) >= max_jobs)); do wait -n || true; done
        build "${fields[@]:1}" &
        pids+=($!)
    done
    failed=0
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    ((failed == 0)) || die "some grammars failed to build (see above)"
fi

# The tree-sitter core Quarry links, built from the same pinned sdist as the headers: Debian's
# libtree-sitter 0.20.7 frees a node twice once error recovery gives it 65,535 children (about
# 200 KB of unparseable tokens in one ERROR node) and aborts the whole process; 0.24 does not.
# It is a static archive under its own names (libquarry-tree-sitter.a, pkg-config quarry-tree-sitter),
# so a linker can never take Debian's libtree-sitter.so for it and nothing else on the machine
# changes; the grammars keep linking Debian's library only for its allocator hooks.
core_prefix=${QUARRY_TREE_SITTER_PREFIX:-/usr/local}
core_lib=$core_prefix/lib/quarry-tree-sitter
core_include=$core_prefix/include/quarry-tree-sitter
core_pc=$core_prefix/lib/pkgconfig/quarry-tree-sitter.pc
core_stamp="core=$h_version sha256=$h_sha cc=$compiler_id name=quarry-tree-sitter"
if [[ -f $core_lib/libquarry-tree-sitter.a && -f $core_pc && "$(cat "$core_lib/.stamp" 2>/dev/null)" == "$core_stamp" ]]; then
    say "core: up to date ($h_package $h_version)"
else
    say "core: compiling $h_package $h_version"
    fetch core "$h_package" "$h_version" "$h_sdist" "$h_sha"
    mkdir -p "$work/core"
    tar -xzf "$downloads/$h_sdist" -C "$work/core" --strip-components=1 \
        "${h_sdist%.tar.gz}/${h_dir%/src}" || die "core: $h_sdist lacks ${h_dir%/src}"
    core_src=$work/core/${h_dir%/src}
    "$cc" -O2 -fPIC -std=c11 -w -I "$core_src/include" -I "$core_src/src" -c "$core_src/src/lib.c" \
        -o "$work/core/lib.o" || die "core: compiling lib.c failed"
    mkdir -p "$core_lib" "$core_include/tree_sitter" "$(dirname "$core_pc")"
    rm -f "$core_lib/.libquarry-tree-sitter.a.tmp"
    ar rcs "$core_lib/.libquarry-tree-sitter.a.tmp" "$work/core/lib.o"
    cp "$core_src/include/tree_sitter/api.h" "$core_include/tree_sitter/api.h"
    mv -f "$core_lib/.libquarry-tree-sitter.a.tmp" "$core_lib/libquarry-tree-sitter.a"
    printf 'libdir=%s\nincludedir=%s\n\nName: quarry-tree-sitter\nDescription: tree-sitter %s core for Quarry (static)\nVersion: %s\nLibs: -L${libdir} -lquarry-tree-sitter\nCflags: -I${includedir}\n' \
        "$core_lib" "$core_include" "$h_version" "$h_version" >"$core_pc"
    printf '%s\n' "$core_stamp" >"$core_lib/.stamp"
    say "core: installed $core_lib/libquarry-tree-sitter.a and $core_pc"
fi

# Queries live in the repository and change often: every run refreshes them (for every built
# grammar, not only the ones named on the command line), then rewrites the runtime manifest, which
# lists every grammar of the repository manifest that is built and current.
"$python" - "$manifest" "$queries" "$out" <<'PY'
import json, os, shutil, sys
manifest, queries, out = sys.argv[1:4]
entries, copied = [], 0
for g in json.load(open(manifest))["grammars"]:
    lang = g["language"]
    stamp = os.path.join(out, f".{lang}.stamp")
    if not (os.path.isfile(os.path.join(out, f"{lang}.so")) and os.path.isfile(stamp)):
        continue
    fields = dict(line.split("=", 1) for line in open(stamp).read().splitlines() if "=" in line)
    if fields.get("sha256") != g["sha256"]:
        continue
    query = os.path.join(queries, g["query"]) if g.get("query") else None
    target = os.path.join(out, f"{lang}.scm")
    if query and os.path.isfile(query):
        shutil.copyfile(query, target + ".tmp")
        os.replace(target + ".tmp", target)
        copied += 1
    elif os.path.exists(target):
        os.remove(target)
    entries.append({
        "language": lang,
        "symbol": g["symbol"],
        "library": f"{lang}.so",
        "query": f"{lang}.scm" if os.path.isfile(target) else None,
        # The repository's query file it was copied from (TSX uses typescript.scm).
        "query_source": g.get("query"),
        "abi": int(fields["abi"]),
        "package": g["package"],
        "version": g["version"],
        # How the language is recognised and commented: read by Quarry at run time, so a new
        # language needs no change to Quarry itself.
        **{key: g[key] for key in ("extensions", "filenames", "interpreters", "line_comments",
                                          "block_comments", "attribute_prefixes")
           if key in g},
    })
tmp = os.path.join(out, ".manifest.json.tmp")
with open(tmp, "w") as f:
    json.dump({"schema": 1, "grammars": entries}, f, indent=2)
    f.write("\n")
os.replace(tmp, os.path.join(out, "manifest.json"))
print(f"queries: {copied} copied from {queries}")
print(f"manifest: {len(entries)} grammars in {os.path.join(out, 'manifest.json')}")
PY

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
fetch() {
    local label=$1 package=$2 version=$3 sdist=$4 sha=$5 file=$downloads/$4 tmp actual
    if [[ ! -f $file ]]; then
        say "$label: downloading $package $version"
        tmp=$(mktemp -d "$downloads/.partial.XXXXXX")
        if ! "$python" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
            "$package==$version" -d "$tmp" >"$tmp/pip.log" 2>&1; then
            cat "$tmp/pip.log" >&2
            rm -rf "$tmp"
            die "pip download $package==$version failed"
        fi
        [[ -f $tmp/$sdist ]] || { ls "$tmp" >&2; rm -rf "$tmp"; die "pip did not produce $sdist for $package==$version"; }
        mv "$tmp/$sdist" "$file"
        rm -rf "$tmp"
    fi
    actual=$(sha256sum "$file" | cut -d' ' -f1)
    [[ $actual == "$sha" ]] || die "sha256 mismatch for $file: expected $sha, got $actual (delete the file to download it again, or fix the manifest)"
}

# extract <sdist> <destination> <paths...>: extracts only the named paths (relative to the
# sdist's top directory) so that large sdists are not unpacked whole.
extract() {
    "$python" - "$@" <<'PY'
import os, sys, tarfile
archive, dest, wanted = sys.argv[1], sys.argv[2], set(sys.argv[3:])
found = set()
with tarfile.open(archive) as tar:
    for member in tar:
        top, _, rel = member.name.partition("/")
        if rel in wanted and member.isfile():
            member.name = rel
            if hasattr(tarfile, "data_filter"):
                tar.extract(member, dest, filter="data")
            else:
                tar.extract(member, dest)
            found.add(rel)
missing = wanted - found
if missing:
    sys.exit(f"build.sh: error: {os.path.basename(archive)} lacks {' '.join(sorted(missing))}")
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
    [[ $includes != - ]] || includes=
    fetch "$lang" "$package" "$version" "$sdist" "$sha"
    mkdir -p "$dir/src"
    # shellcheck disable=SC2086 # space-separated path lists from the manifest
    extract "$downloads/$sdist" "$dir/src" $sources $includes
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
    # shellcheck disable=SC2086
    extract "$downloads/$h_sdist" "$work/headers" $(for f in $h_files; do printf '%s/%s ' "$h_dir" "$f"; done)
    mkdir -p "$work/include/tree_sitter"
    cp "$work/headers/$h_dir"/*.h "$work/include/tree_sitter/"

    pids=()
    while IFS=$'\t' read -r -a fields; do
        [[ ${fields[0]} == G ]] || continue
        [[ " ${stale[*]} " == *" ${fields[1]} "* ]] || continue
        while (($(jobs -pr | wc -l) >= max_jobs)); do wait -n || true; done
        build "${fields[@]:1}" &
        pids+=($!)
    done <"$work/plan.tsv"
    failed=0
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    ((failed == 0)) || die "some grammars failed to build (see above)"
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
        "abi": int(fields["abi"]),
        "package": g["package"],
        "version": g["version"],
    })
tmp = os.path.join(out, ".manifest.json.tmp")
with open(tmp, "w") as f:
    json.dump({"schema": 1, "grammars": entries}, f, indent=2)
    f.write("\n")
os.replace(tmp, os.path.join(out, "manifest.json"))
print(f"queries: {copied} copied from {queries}")
print(f"manifest: {len(entries)} grammars in {os.path.join(out, 'manifest.json')}")
PY

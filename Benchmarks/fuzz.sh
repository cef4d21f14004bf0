#!/usr/bin/env bash
# Runs every fuzz target (the *FuzzTests of the test suite, driven by Tests/TestSupport/Fuzzer.swift)
# for SECONDS each and prints executions and findings per target, with a total.
#
#   Benchmarks/fuzz.sh [SECONDS [TEST...]]   # default 600 s per target (the chunker: per grammar),
#                                            # every fuzz class, or only the TESTs named
#                                            # (e.g. QuarryCLITests.ArgumentFuzzTests, or Class/testMethod)
#
# Environment:
#   QUARRY_FUZZ_SANITIZE=1   build with AddressSanitizer and UndefinedBehaviorSanitizer (Swift code,
#                            the C shims and kernels of Sources/C*) into .build/sanitize first (default 1)
#   QUARRY_FUZZ_SEED=N       base seed (default 1); a crash is replayed with the same seed, or from the
#                            input saved under $out (QUARRY_FUZZ_REPLAY=<file>)
#   QUARRY_FUZZ_OUT=DIR      where reports and crashing inputs go (default .build/fuzz)
#   QUARRY_FUZZ_BUILD=0      run the bundle already built (e.g. beside another fuzz.sh run)
#   TMPDIR                   where the targets write their inputs (default /dev/shm when writable)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
seconds=${1:-600}
out=${QUARRY_FUZZ_OUT:-$root/.build/fuzz}
sanitize=${QUARRY_FUZZ_SANITIZE:-1}
export QUARRY_HOME=${QUARRY_HOME:-$HOME/.cache/quarry}
mkdir -p "$out"
report=$out/report.txt
: >"$report"

flags=(-c release -Xswiftc -enable-testing)
if [[ $sanitize == 1 ]]; then
    # Sanitized objects live apart from the normal build. Swift on Linux has no UBSan: it
    # instruments the C shims and kernels (-Xcc), and the link pulls in its runtime.
    flags+=(--scratch-path "$root/.build/sanitize" --sanitize address
            -Xcc -fsanitize=undefined -Xswiftc -Xclang-linker -Xswiftc -fsanitize=undefined)
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
echo "fuzz: building (${flags[*]})" >&2
[[ ${QUARRY_FUZZ_BUILD:-1} == 0 ]] || swift build "${flags[@]}" --build-tests >&2
# The test bundle itself, not `swift test`: that holds the build lock for as long as it runs, so two
# fuzz.sh runs (one per core; the second with QUARRY_FUZZ_BUILD=0) would take turns.
bundle=$root/.build/release/QuarryPackageTests.xctest
[[ $sanitize == 0 ]] || bundle=$root/.build/sanitize/release/QuarryPackageTests.xctest
# The file targets write every input to a file: on a disk that I/O, not the parser, set the pace
# (vector-file: 400 inputs/s on /tmp, 8,000 on tmpfs), so they write to memory where it exists.
if [[ -z ${TMPDIR:-} && -d /dev/shm && -w /dev/shm ]]; then export TMPDIR=/dev/shm; fi

targets=("${@:2}")
if [[ ${#targets[@]} == 0 ]]; then
    targets=(
        ChunkerTests.ChunkerFuzzTests
        EncoderTests.EncoderFuzzTests
        TokenizersTests.TokenizerFuzzTests
        StoreTests.StoreFuzzTests
        SearchTests.QueryFuzzTests
        QuarryCLITests.ArgumentFuzzTests
    )
fi
crashes=0
for target in "${targets[@]}"; do
    name=${target##*.}
    name=${name//\//-}
    save=${TMPDIR:-$out}/quarry-fuzz-$$-$name.input
    echo "fuzz: $target, $seconds s per target" >&2
    if ! QUARRY_FUZZ_SECONDS=$seconds QUARRY_FUZZ_REPORT=$report QUARRY_FUZZ_SAVE=$save \
        "$bundle" "$target" >"$out/$name.log" 2>&1; then
        # A failed assertion is a finding the log names; a crash leaves its input in $save.
        if grep -q "error:" "$out/$name.log" && ! grep -qE "Fatal|ERROR: AddressSanitizer|runtime error|signal" "$out/$name.log"; then
            echo "fuzz: $target reported findings (see $out/$name.log)" >&2
        else
            crashes=$((crashes + 1))
            cp "$save" "$out/crash-$name-$(date +%s).input" 2>/dev/null || true
            echo "fuzz: $target CRASHED; input kept in $out/crash-$name-*.input (log: $out/$name.log)" >&2
        fi
    fi
    rm -f "$save"
done

printf '%-28s %12s %9s %9s\n' target executions seconds findings
awk '{ printf "%-28s %12d %9.1f %9d\n", $1, $2, $3, $4; e += $2; s += $3; f += $4 }
     END { printf "%-28s %12d %9.1f %9d\n", "total", e, s, f }' "$report"
echo "crashes: $crashes (sanitizers: $([[ $sanitize == 1 ]] && echo 'address, undefined' || echo none))"

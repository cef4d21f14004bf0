#!/usr/bin/env bash
# Runs every fuzz target (the *FuzzTests of the test suite, driven by Tests/TestSupport/Fuzzer.swift)
# for SECONDS each and prints executions and findings per target, with a total.
#
#   Benchmarks/fuzz.sh [SECONDS]          # default 600 s per target (the chunker: per grammar)
#
# Environment:
#   QUARRY_FUZZ_SANITIZE=1   build with AddressSanitizer and UndefinedBehaviorSanitizer (Swift code,
#                            the C shims and kernels of Sources/C*) into .build/sanitize first (default 1)
#   QUARRY_FUZZ_SEED=N       base seed (default 1); a crash is replayed with the same seed, or from the
#                            input saved under $out (QUARRY_FUZZ_REPLAY=<file>)
#   QUARRY_FUZZ_OUT=DIR      where reports and crashing inputs go (default .build/fuzz)
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
swift build "${flags[@]}" --build-tests >&2

targets=(
    ChunkerTests.ChunkerFuzzTests
    EncoderTests.EncoderFuzzTests
    TokenizersTests.TokenizerFuzzTests
    StoreTests.StoreFuzzTests
    SearchTests.QueryFuzzTests
    QuarryCLITests.ArgumentFuzzTests
)
crashes=0
for target in "${targets[@]}"; do
    save=$out/current-${target##*.}.input
    echo "fuzz: $target, $seconds s per target" >&2
    if ! QUARRY_FUZZ_SECONDS=$seconds QUARRY_FUZZ_REPORT=$report QUARRY_FUZZ_SAVE=$save \
        swift test "${flags[@]}" --skip-build --filter "$target" >"$out/${target##*.}.log" 2>&1; then
        # A failed assertion is a finding the log names; a crash leaves its input in $save.
        if grep -q "error:" "$out/${target##*.}.log" && ! grep -qE "Fatal|ERROR: AddressSanitizer|runtime error|signal" "$out/${target##*.}.log"; then
            echo "fuzz: $target reported findings (see $out/${target##*.}.log)" >&2
        else
            crashes=$((crashes + 1))
            cp "$save" "$out/crash-${target##*.}-$(date +%s).input" 2>/dev/null || true
            echo "fuzz: $target CRASHED; input kept in $out/crash-${target##*.}-*.input (log: $out/${target##*.}.log)" >&2
        fi
    fi
done

printf '%-28s %12s %9s %9s\n' target executions seconds findings
awk '{ printf "%-28s %12d %9.1f %9d\n", $1, $2, $3, $4; e += $2; s += $3; f += $4 }
     END { printf "%-28s %12d %9.1f %9d\n", "total", e, s, f }' "$report"
echo "crashes: $crashes (sanitizers: $([[ $sanitize == 1 ]] && echo 'address, undefined' || echo none))"

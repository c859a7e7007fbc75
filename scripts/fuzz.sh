#!/usr/bin/env bash
# Coverage-guided fuzzing (SharpFuzz + AFL++) of every parser that reads outside input; the targets are in
# tests/Ipw.Fuzz/Targets.cs. For each target: the kept corpus (tests/Ipw.Fuzz/corpus/TARGET) and every past crash
# (tests/Ipw.Fuzz/regressions/TARGET) are replayed, then afl-fuzz runs it for --seconds on an instrumented copy of the
# build. A crash's input is copied to artifacts/fuzz/crashes/TARGET/ and fails the target; make it a regression by
# moving it to tests/Ipw.Fuzz/regressions/TARGET/ with the fix.
#   scripts/fuzz.sh [--seconds N] [--targets a,b] [--jobs J]
# Needs afl-fuzz (Debian: afl++) and the .NET SDK; builds tests/Ipw.Fuzz if needed. Last line: "N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds=30 targets="" jobs=2
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --targets) targets="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    *) echo "usage: scripts/fuzz.sh [--seconds N] [--targets a,b] [--jobs J]" >&2; exit 2 ;;
  esac
done
command -v afl-fuzz >/dev/null 2>&1 || { echo "afl-fuzz is required (Debian: apt-get install afl++)"; echo "0 passed, 1 failed"; exit 1; }

build="tests/Ipw.Fuzz/bin/Release/net10.0"
[ -f "$build/Ipw.Fuzz.dll" ] || dotnet build tests/Ipw.Fuzz -c Release -nologo -v quiet "-clp:ErrorsOnly;NoSummary" >/dev/null \
  || { echo "0 passed, 1 failed"; exit 1; }
out="artifacts/fuzz"
rm -rf "$out" && mkdir -p "$out/findings" && cp -r "$build" "$out/bin"
dotnet tool restore >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
# The project's assemblies and the format libraries its readers rest on get AFL's edge coverage.
for dll in Ipw.Abstractions Ipw.Core Ipw.Plugins.Http Ipw.Plugins.Datasets Ipw.Plugins.Energy Apache.Arrow Parquet; do
  dotnet tool run sharpfuzz "$out/bin/$dll.dll" >/dev/null || { echo "could not instrument $dll"; echo "0 passed, 1 failed"; exit 1; }
done
[ -n "$targets" ] || targets="$(dotnet "$build/Ipw.Fuzz.dll" list | awk '{print $1}' | paste -sd,)"

fuzz_one() {
  local t="$1" log="$out/$1.log"
  local inputs=("tests/Ipw.Fuzz/corpus/$t")
  [ -d "tests/Ipw.Fuzz/regressions/$t" ] && inputs+=("tests/Ipw.Fuzz/regressions/$t")
  if ! dotnet "$build/Ipw.Fuzz.dll" replay "$t" "${inputs[@]}" >"$log" 2>&1; then
    echo "$t: FAILED: a kept input is a defect again: $(grep -v ' inputs replayed' "$log" | head -1)"; return 1
  fi
  AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
    timeout $((seconds + 120)) afl-fuzz -i "tests/Ipw.Fuzz/corpus/$t" -o "$out/findings/$t" -t 5000 -m none -V "$seconds" \
    -- "$(command -v dotnet)" "$out/bin/Ipw.Fuzz.dll" fuzz "$t" >>"$log" 2>&1
  local stats="$out/findings/$t/default/fuzzer_stats"
  [ -f "$stats" ] || { echo "$t: FAILED: afl-fuzz did not run (see $log)"; return 1; }
  local execs paths crashes
  execs=$(awk -F': ' '/^execs_done/ {print $2}' "$stats")
  paths=$(awk -F': ' '/^corpus_count/ {print $2}' "$stats")
  crashes=$(find "$out/findings/$t/default/crashes" -name 'id:*' 2>/dev/null | wc -l)
  if [ "$crashes" -gt 0 ]; then
    mkdir -p "$out/crashes/$t" && cp "$out/findings/$t/default/crashes/"id:* "$out/crashes/$t/"
    echo "$t: FAILED: $crashes crashing inputs in $execs runs, kept in $out/crashes/$t"
    dotnet "$build/Ipw.Fuzz.dll" replay "$t" "$out/crashes/$t" | head -3
    return 1
  fi
  echo "$t: passed: $execs runs in ${seconds} s, $paths inputs reaching distinct code, no crash"
}
export -f fuzz_one
export out build seconds

results="$(echo "$targets" | tr ',' '\n' | xargs -P "$jobs" -I{} bash -c 'fuzz_one "$@"' _ {})"
echo "$results"
passed=$(grep -c ': passed:' <<<"$results")
failed=$(grep -c ': FAILED:' <<<"$results")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# The pi2de benchmark: generates an N-value analytics export (JSON, XML, CSV) with its mapping,
# then times `pi2de convert` for five format pairs, gzip in and out, JSON with --trace and with
# the target metadata (checks and validation rules), and `pi2de inspect`; prints values/s, MB/s
# of input, wall time, peak memory (GNU time) and the rate as a share of the bare-parse limit
# (pi2de's reader alone on one thread, counting values: examples/bare_parse.rs).
# Usage: bench/run.sh [N] [FOLDER]   (default 1000000 /tmp/pi2de-bench)
# With PI2DE_BENCH_LARGE=1 it also converts 10,000,000 distinct values (a 1.8 GB JSON file), in
# memory and under --memory 256M; with PI2DE_BENCH_HUGE=1, 100,000,000 (a 6 GB CSV file) under
# --memory 1G. With PI2DE_BENCH_TARGET=x86_64-unknown-linux-musl it times the static build the
# releases ship instead (needs `rustup target add` of it and musl-gcc: apt-get install musl-tools).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
dir=${2:-/tmp/pi2de-bench}
[ -x /usr/bin/time ] || { echo "bench: needs GNU time (/usr/bin/time; apt-get install time)" >&2; exit 2; }
cargo build --release --quiet --bin pi2de --example generate_export --example bare_parse
pi2de=./target/release/pi2de
if [ -n "${PI2DE_BENCH_TARGET:-}" ]; then
    cargo build --release --quiet --bin pi2de --target "$PI2DE_BENCH_TARGET"
    pi2de=./target/$PI2DE_BENCH_TARGET/release/pi2de
fi
./target/release/examples/generate_export "$n" "$dir" 2>/dev/null
echo "pi2de $("$pi2de" --version | cut -d' ' -f2) (${PI2DE_BENCH_TARGET:-host build}), $n values, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
# The bare-parse limit of each input: the best of three.
declare -A bare
bare_parse() {
    local best=""
    for _ in 1 2 3; do
        local t; t=$(./target/release/examples/bare_parse "$1" | cut -d' ' -f2)
        best=$(awk -v a="$best" -v b="$t" 'BEGIN { print (a == "" || b < a) ? b : a }')
    done
    echo "$best"
}
gzip -c "$dir/export.json" > "$dir/export.json.gz"
for f in json csv xml json.gz; do bare[$f]=$(bare_parse "$dir/export.$f"); done
echo "bare parse (one thread, values counted), seconds: json ${bare[json]}, csv ${bare[csv]}, xml ${bare[xml]}, json.gz ${bare[json.gz]}"
echo
echo "| pair | input MB | wall s | values/s | MB/s | peak MB | of bare parse |"
echo "|---|---|---|---|---|---|---|"
# One row: a label, the input's format, the output's, and any further options.
row() {
    local label=$1 from=$2 to=$3; shift 3
    local input="$dir/export.$from"
    local size; size=$(stat -c %s "$input")
    local stats; stats=$( { /usr/bin/time -f "%e %M" "$pi2de" convert "$input" \
        -m "$dir/mapping.csv" -o "$dir/out.$to" -q --no-progress "$@"; } 2>&1 >/dev/null | tail -1)
    local wall=${stats% *} kb=${stats#* }
    awk -v p="$label" -v n="$n" -v s="$size" -v w="$wall" -v k="$kb" -v b="${bare[$from]}" 'BEGIN {
        if (w < 0.01) w = 0.01;
        printf "| %s | %.0f | %.2f | %.0f | %.0f | %.0f | %.0f %% |\n", p, s/1e6, w, n/w, s/1e6/w, k/1024, 100*b/w }'
}
for pair in json:json json:csv csv:json xml:json json:xml; do
    row "${pair%:*} → ${pair#*:}" "${pair%:*}" "${pair#*:}"
done
# Compressed input and output (gzip).
row "json.gz → json" json.gz json
row "json → json.gz" json json.gz
row "json → json, --trace" json json --trace "$dir/trace.csv"
# The target metadata: 300 data elements, one data set, its org units, 100 validation rules;
# every value is checked against it and the rules are evaluated on every value written.
row "json → json, --target-metadata (100 rules)" json json \
    --target-metadata "$dir/metadata.json" --as-of 2025-12-01
# The key store past its memory: all but the last few thousand keys' slots on disk.
row "json → json, --memory 16M (keys on disk)" json json --memory 16M
# inspect reads the same export (no output).
size=$(stat -c %s "$dir/export.json")
stats=$( { /usr/bin/time -f "%e %M" "$pi2de" inspect "$dir/export.json" > /dev/null; } 2>&1 | tail -1)
awk -v n="$n" -v s="$size" -v w="${stats% *}" -v k="${stats#* }" -v b="${bare[json]}" 'BEGIN {
    if (w < 0.01) w = 0.01;
    printf "| inspect json | %.0f | %.2f | %.0f | %.0f | %.0f | %.0f %% |\n", s/1e6, w, n/w, s/1e6/w, k/1024, 100*b/w }'
# A large run: N distinct keys generated in FORMAT into FOLDER, converted to the same format
# with any further options, printed as one row, then removed.
large_row() {
    local label=$1 keys=$2 folder=$3 format=$4; shift 4
    ./target/release/examples/generate_export "$keys" "$folder" "$format" 2>/dev/null
    local input="$folder/export.$format"
    local size; size=$(stat -c %s "$input")
    local b; b=$(./target/release/examples/bare_parse "$input" | cut -d' ' -f2)
    local stats; stats=$( { /usr/bin/time -f "%e %M" "$pi2de" convert "$input" \
        -m "$folder/mapping.csv" -o "$folder/out.$format" -q --no-progress "$@"; } 2>&1 >/dev/null | tail -1)
    awk -v p="$label" -v n="$keys" -v s="$size" -v w="${stats% *}" -v k="${stats#* }" -v b="$b" 'BEGIN {
        printf "| %s | %.0f | %.2f | %.0f | %.0f | %.0f | %.0f %% |\n", p, s/1e6, w, n/w, s/1e6/w, k/1024, 100*b/w }'
    rm -rf "$folder"
}
# 10,000,000 distinct keys, when asked for (PI2DE_BENCH_LARGE=1): memory per key held, in
# memory and with the store past --memory.
if [ "${PI2DE_BENCH_LARGE:-}" = 1 ]; then
    large_row "json → json, 10,000,000 keys" 10000000 "$dir/large" json
    large_row "json → json, 10,000,000 keys, --memory 256M" 10000000 "$dir/large" json --memory 256M
fi
# 10^8 distinct keys (a national year of weekly data) under --memory 1G, when asked for
# (PI2DE_BENCH_HUGE=1): a 6 GB CSV export, converted to CSV; needs ~15 GB of disk.
if [ "${PI2DE_BENCH_HUGE:-}" = 1 ]; then
    large_row "csv → csv, 100,000,000 keys, --memory 1G" 100000000 "$dir/huge" csv --memory 1G
fi
# --split-by cut into 750 and into 3,000 parts: the cost of a part should not grow with their
# number (before the fix it did: 3,000 parts cost 14 times 750).
echo
echo "| split | parts | wall s | ms per part | peak MB |"
echo "|---|---|---|---|---|"
for parts in 750 3000; do
    rm -rf "$dir/split"
    per=$(( (n + parts - 1) / parts ))
    stats=$( { /usr/bin/time -f "%e %M" "$pi2de" convert "$dir/export.json" \
        -m "$dir/mapping.csv" -o "$dir/split" --split-by data-set --max-values "$per" -q --no-progress; } 2>&1 >/dev/null | tail -1)
    got=$(find "$dir/split" -name '*.json' ! -name '.*' | wc -l)
    awk -v p="$got" -v w="${stats% *}" -v k="${stats#* }" 'BEGIN {
        printf "| json → folder | %d | %.2f | %.2f | %.0f |\n", p, w, w*1000/p, k/1024 }'
done

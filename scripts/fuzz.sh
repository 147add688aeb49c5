#!/bin/sh
# Runs every fuzz target in BUILD_DIR for SECONDS each over its seed corpus
# (fuzz/corpus/<name>/). A crash fails the run and leaves its input in
# BUILD_DIR/fuzz-artifacts/.
set -eu
dir=$1 secs=$2
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir/fuzz-artifacts"
found=0
for bin in "$dir"/fuzz_*; do
	[ -x "$bin" ] || continue
	found=1
	name=${bin##*/fuzz_}
	work="$dir/fuzz-corpus/$name"
	mkdir -p "$work"
	[ -d "$src/fuzz/corpus/$name" ] && cp -r "$src/fuzz/corpus/$name/." "$work/"
	echo "fuzz: $name for ${secs}s"
	"$bin" -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 \
		-artifact_prefix="$dir/fuzz-artifacts/$name-" -print_final_stats=0 \
		"$work" 2>"$dir/fuzz-$name.log" || {
		tail -n 40 "$dir/fuzz-$name.log" >&2
		echo "error: fuzz target $name failed; input in $dir/fuzz-artifacts/" >&2
		exit 1
	}
done
[ "$found" = 1 ] || { echo "error: no fuzz targets in $dir" >&2; exit 1; }

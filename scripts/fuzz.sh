#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every fuzz target in BUILD_DIR for SECONDS each over its seed corpus
# (fuzz/corpus/<name>/), then prints what it reached: runs, coverage
# (libFuzzer's cov and ft), corpus size. A crash fails the run and leaves
# its input in BUILD_DIR/fuzz-artifacts/.
set -eu
dir=$1 secs=$2
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir/fuzz-artifacts"

# The figures of one finished run, from its log: the runs counted by
# -print_final_stats, the last status line's cov, ft and corpus.
summary() {
	awk -v name="$1" -v secs="$2" '
		/cov: / {
			for (i = 1; i < NF; i++) {
				if ($i == "cov:") cov = $(i + 1)
				if ($i == "ft:") ft = $(i + 1)
				if ($i == "corp:") { corp = $(i + 1); sub("/.*", "", corp) }
			}
		}
		/^stat::number_of_executed_units:/ { runs = $2 }
		function grouped(n,   s) {	# 12345678 -> 12,345,678
			s = ""
			while (length(n) > 3) {
				s = "," substr(n, length(n) - 2) s
				n = substr(n, 1, length(n) - 3)
			}
			return n s
		}
		END {
			printf "fuzz: %s %ss: %s runs, cov %s, ft %s, corpus %s\n",
			    name, secs, runs == "" ? "?" : grouped(runs), cov == "" ? "?" : cov,
			    ft == "" ? "?" : ft, corp == "" ? "?" : corp
		}' "$3"
}

found=0
for bin in "$dir"/fuzz_*; do
	[ -x "$bin" ] || continue
	found=1
	name=${bin##*/fuzz_}
	work="$dir/fuzz-corpus/$name"
	log="$dir/fuzz-$name.log"
	mkdir -p "$work"
	[ -d "$src/fuzz/corpus/$name" ] && cp -r "$src/fuzz/corpus/$name/." "$work/"
	"$bin" -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 \
		-artifact_prefix="$dir/fuzz-artifacts/$name-" -print_final_stats=1 \
		"$work" 2>"$log" || {
		tail -n 40 "$log" >&2
		echo "error: fuzz target $name failed; input in $dir/fuzz-artifacts/" >&2
		exit 1
	}
	summary "$name" "$secs" "$log"
done
[ "$found" = 1 ] || { echo "error: no fuzz targets in $dir" >&2; exit 1; }

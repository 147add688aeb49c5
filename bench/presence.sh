#!/bin/sh
# SPDX-License-Identifier: MIT
# presence.sh - what presence costs the gateway for a sleepy device: each
# of INSN_CONNS devices connects (resuming its TLS session), sends one
# message and closes, so every message brings a connected and a
# disconnected event. User-space instructions a message under callgrind
# (bench/instructions.sh), with --presence on and off, side by side.
# Environment as instructions.sh's (INSN_CONNS, INSN_SHORT, INSN_LONG).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
for p in on off; do
	echo "presence $p:"
	INSN_SERVERS=tether INSN_LOADGEN_ARGS=--once \
	    INSN_TETHER_ARGS="--presence $p" sh "$ROOT/bench/instructions.sh" |
	    grep -v '^device'
done

# SPDX-License-Identifier: MIT
# The two commands of the quick start, and the few a developer adds.
#   make          build build/tether and build/libtether.a
#   make demo     install what is missing, build, run the gateway with
#                 simulated devices and show what happened
#   make test     install what is missing, build twice (plain, and with
#                 ASan/UBSan), run every test, smoke-run every fuzz target
#   make bench    the benchmarks under bench/ (not part of make test)
#   make bench-app  the application API's figures alone (bench/app.sh)
#   make bench-restart  a fleet back after a restart, tether and nginx (bench/restart.sh)
#   make bench-forward  forwarding to mosquitto and its peer (bench/forward.sh)
#   make bench-scale  one node vs two on PostgreSQL behind HAProxy, Redis, nginx (bench/scale.sh)
#   make bench-insn  instructions per message, tether and nginx (callgrind)
#   make fuzz     long fuzzing campaigns (FUZZ_SECONDS each, default 300)
#   make install  PREFIX=/usr/local DESTDIR=: the tether binary, libtether.a,
#                 tether.h, tether.pc, man pages, docs (docs/operations.md)
#   make cross    libtether for Cortex-M4 and ESP8266, with its code budget
#   make target-test  libtether + BearSSL images for Cortex-M4 and lx106
#                 under QEMU against the gateway, with their footprint
#                 budgets (part of make test)

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE ?= cmake
FUZZ_SECONDS ?= 300
PREFIX ?= /usr/local
BUILD ?= build
DESTDIR ?=

.PHONY: all deps demo test test-plain test-asan fuzz-smoke fuzz bench bench-app bench-restart bench-forward bench-scale bench-where bench-insn cross target-test clean install

all: build/Makefile
	$(CMAKE) --build build -j $(JOBS)

build/Makefile:
	$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build-asan/Makefile:
	$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTETHER_SANITIZE=ON >/dev/null

build-fuzz/Makefile:
	CC=clang $(CMAKE) -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug \
		-DTETHER_SANITIZE=ON -DTETHER_FUZZ=ON >/dev/null

deps:
	@sh scripts/deps.sh

demo: deps all
	@sh scripts/demo.sh

test: deps
	@$(MAKE) --no-print-directory test-plain test-asan fuzz-smoke target-test

test-plain: all
	cd build && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan/Makefile
	$(CMAKE) --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

fuzz-smoke: build-fuzz/Makefile
	$(CMAKE) --build build-fuzz -j $(JOBS)
	@sh scripts/fuzz.sh build-fuzz 10

fuzz: build-fuzz/Makefile
	$(CMAKE) --build build-fuzz -j $(JOBS)
	@sh scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

bench: deps all
	@sh scripts/deps.sh --bench
	@sh bench/run.sh
	@sh bench/app.sh
	@sh bench/restart.sh
	@sh bench/forward.sh
	@sh bench/scale.sh
	@sh bench/where.sh
	@sh scripts/deps.sh --target
	@bash tests/target/run.sh
	@sh bench/instructions.sh

bench-app: deps all
	@sh scripts/deps.sh --bench
	@sh bench/app.sh

bench-restart: deps all
	@sh scripts/deps.sh --bench
	@sh bench/restart.sh

bench-forward: deps all
	@sh scripts/deps.sh --bench
	@sh bench/forward.sh

bench-scale: deps all
	@sh scripts/deps.sh --bench
	@sh bench/scale.sh

bench-where: deps all
	@sh scripts/deps.sh --bench
	@sh bench/where.sh

bench-insn: deps all
	@sh scripts/deps.sh --bench
	@sh bench/instructions.sh

target-test: all
	@sh scripts/deps.sh --target
	bash tests/target/run.sh

cross:
	@sh scripts/deps.sh --cross
	@sh scripts/cross.sh

clean:
	rm -rf build build-asan build-fuzz

# The prefix is set at configure time (tether.pc names it); DESTDIR only
# at install time, for staging and packages.
# BUILD names another build directory (the tests pass theirs).
install:
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	$(CMAKE) --build $(BUILD) -j $(JOBS)
	DESTDIR=$(DESTDIR) $(CMAKE) --install $(BUILD)

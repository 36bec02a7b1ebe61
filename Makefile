# Hone: build, run and test. Everything a fresh Debian machine lacks is
# installed here (as root) or named with the exact command to run.

LLVM_CONFIG ?= llvm-config-19
APT_PACKAGES = llvm-19-dev libgomp1 gcc
SWIFT ?= swift
CONFIG ?= release
KERNEL ?= Kernels/gemm.hone

# LLVM's headers are found at recipe time, after `deps` has installed them.
LLVM_FLAGS = -Xcc -I$$($(LLVM_CONFIG) --includedir) -Xlinker -L$$($(LLVM_CONFIG) --libdir)
BUILD = $(SWIFT) build -c $(CONFIG) $(LLVM_FLAGS)
HONE = $$($(SWIFT) build -c $(CONFIG) --show-bin-path)/hone

.PHONY: all deps build run test bench fuzz-schedules clean

all: build

deps:
	@if ! command -v $(LLVM_CONFIG) >/dev/null 2>&1 || ! command -v cc >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing $(APT_PACKAGES) with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES); \
	  else \
	    echo "LLVM 19 is missing. Run: sudo apt-get install -y $(APT_PACKAGES)"; exit 1; \
	  fi; \
	fi

build: deps
	$(BUILD) --product hone

# The main job: tune a kernel (gemm by default) for this machine, about two
# minutes; writes tuned/NAME.{schedule.json,o,h,curve.svg} and the records
# tuned/NAME.jsonl (a second run resumes from them).
TRIALS ?= 1000
BUDGET ?= 2m
run: build
	$(HONE) tune $(KERNEL) --trials $(TRIALS) --time-budget $(BUDGET)

test: deps
	$(SWIFT) build -c debug $(LLVM_FLAGS) --product hone
	$(SWIFT) test $(LLVM_FLAGS)

# Thousands of random schedules per kernel against the interpreter (make test runs hundreds).
fuzz-schedules: deps
	HONE_SCHEDULE_TRIALS=4000 $(SWIFT) test $(LLVM_FLAGS) --filter RandomSchedule

# The benchmark suite: release builds, baselines measured in the same run.
# Reports go to Benchmarks/results/.
BENCH_BIN = Benchmarks/.build/release
bench: deps
	@dpkg -s libopenblas-dev >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas-dev; \
	  else echo "The baselines need OpenBLAS. Run: sudo apt-get install -y libopenblas-dev"; exit 1; fi; }
	cd Benchmarks && $(SWIFT) build -c release $(LLVM_FLAGS)
	mkdir -p Benchmarks/results
	$(BENCH_BIN)/bench-gemm | tee Benchmarks/results/gemm.txt
	Benchmarks/costmodel/run.sh | tee Benchmarks/results/costmodel.txt
	$(BENCH_BIN)/bench-measure | tee Benchmarks/results/measure.txt
	$(BENCH_BIN)/bench-features | tee Benchmarks/results/features.txt

clean:
	rm -rf .build Benchmarks/.build

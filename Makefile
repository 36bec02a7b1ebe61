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

# A real Slurm on this machine (not part of `make test`): installs slurm-wlm
# and munge when missing, starts munged, slurmctld and slurmd as a one-node
# cluster on loopback, runs Deploy/slurm/tune-network.sbatch on
# Networks/tiny.network as an array of 2 plus the merge-and-build job,
# checks the records and the library against the interpreter, stops the
# daemons. About a minute once hone is built (README "Networks").
.PHONY: test-slurm
test-slurm: build
	SWIFT_TEST_FLAGS="$(LLVM_FLAGS)" Deploy/slurm/test-slurm.sh $(HONE)

# Thousands of random schedules per kernel against the interpreter (make test runs hundreds).
fuzz-schedules: deps
	HONE_SCHEDULE_TRIALS=4000 $(SWIFT) test $(LLVM_FLAGS) --filter RandomSchedule

# Benchmarks (their own package in Benchmarks/, release builds; they alone
# link OpenBLAS and oneDNN, installed here when missing, never for `make test`).
# Reports go to Benchmarks/results/. README "Benchmarks" says what each does.
BENCH_BIN = Benchmarks/.build/release
BENCH_RESULTS = Benchmarks/results
BENCH_APT_PACKAGES = libopenblas-dev libdnnl-dev
BENCH_SUITE ?= default
BENCH_ONLY ?=
BENCH_TRIALS ?= 250
BENCH_TIME_BUDGET ?= 50
BENCH_ROUNDS ?= 5
BENCH_THREADS ?= $$(nproc)
HONE_BIN = .build/$(CONFIG)/hone

.PHONY: bench-deps bench-build bench-halide bench-tune bench-quick bench-components bench-check bench-search bench-network bench-ceiling bench-test model-data pretrained-model

bench-deps: deps
	@missing=""; for p in $(BENCH_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "Installing$$missing with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "The baselines need$$missing. Run: sudo apt-get install -y$$missing"; exit 1; fi; \
	fi

bench-build: bench-deps build
	cd Benchmarks && $(SWIFT) build -c release $(LLVM_FLAGS)

# The Halide baselines of the image pipelines: Halide 21 from PyPI in a
# virtual environment (Benchmarks/.build/halide-venv, made once), its hand
# schedules, Mullapudi2016 and Adams2019 compiled for this CPU and
# BENCH_THREADS into Benchmarks/.build/halide/libhone_halide.so. Without
# network it says why and succeeds: the benchmarks then skip Halide.
bench-halide:
	Benchmarks/halide/build.sh $(BENCH_THREADS)

# Tunes every row of Benchmarks/suite.tsv in the suite (or BENCH_ONLY=ID,ID),
# resuming from the records of earlier runs unless BENCH_FRESH=1 (which
# starts over only the rows this run tunes).
bench-tune: bench-build
	@mkdir -p $(BENCH_RESULTS)/records $(BENCH_RESULTS)/tuned
	@grep -v '^#' Benchmarks/suite.tsv | while IFS='	' read -r id group kernel params suite baselines; do \
	  [ -n "$$id" ] || continue; \
	  if [ -n "$(BENCH_ONLY)" ]; then case ",$(BENCH_ONLY)," in *",$$id,"*) ;; *) continue ;; esac; \
	  elif [ "$(BENCH_SUITE)" != full ] && [ "$$suite" != default ]; then continue; fi; \
	  if [ "$(BENCH_FRESH)" = 1 ]; then rm -f $(BENCH_RESULTS)/records/$$id.jsonl $(BENCH_RESULTS)/tuned/$$id.json; fi; \
	  cmd="$(HONE_BIN) tune Kernels/$$kernel.hone --set $$params --trials $(BENCH_TRIALS) --time-budget $(BENCH_TIME_BUDGET) --records $(BENCH_RESULTS)/records/$$id.jsonl --schedule-out $(BENCH_RESULTS)/tuned/$$id.json --seed 1 --threads $(BENCH_THREADS)"; \
	  echo "$$cmd" > $(BENCH_RESULTS)/tuned/$$id.command; \
	  echo "[$$id] $$cmd"; \
	  $$cmd </dev/null || echo "[$$id] hone tune failed; the report will say 'not tuned' unless an earlier run left a schedule"; \
	done

# The suite: tune, then time default, hand and tuned schedules against
# oneDNN and OpenBLAS; about 30 minutes for the default suite on 2 cores.
bench: bench-tune bench-halide
	$(BENCH_BIN)/bench-suite --suite $(BENCH_SUITE) --rounds $(BENCH_ROUNDS) --threads $(BENCH_THREADS) $(if $(BENCH_ONLY),--only $(BENCH_ONLY))

# The ceilings: the best schedule known for each row on this CPU, committed
# as Benchmarks/ceilings/CPU/ROW.{schedule.json,command,provenance.json} and
# timed by every `make bench`. Each row of BENCH_ONLY is tuned long
# (CEILING_TRIALS in all, at most CEILING_TIME_BUDGET per sitting when set;
# a second sitting resumes from Benchmarks/results/ceiling-records/ROW.jsonl),
# then the kept ceiling, the hand schedule, the suite's tuned schedule and
# the long run's best are timed alternately, each in a process of its own,
# and the fastest is written only if it beat the kept ceiling.
CEILING_TRIALS ?= 2000
CEILING_TIME_BUDGET ?=
bench-ceiling: bench-build
	@if [ -z "$(BENCH_ONLY)" ]; then echo "Name the rows: make bench-ceiling BENCH_ONLY=GMM-2,NRM-2 [CEILING_TRIALS=2000]"; exit 1; fi
	$(BENCH_BIN)/bench-ceiling --only $(BENCH_ONLY) --trials $(CEILING_TRIALS) $(if $(CEILING_TIME_BUDGET),--time-budget $(CEILING_TIME_BUDGET)) \
	  --rounds $(BENCH_ROUNDS) --threads $(BENCH_THREADS) --hone $(HONE_BIN)

# The benchmarks' own tests: the ceilings' pure logic (which candidate is
# kept, the report's ratios and means). Seconds: they link neither Hone nor
# the libraries, so no release build and no OpenBLAS or oneDNN are needed.
bench-test:
	cd Benchmarks && $(SWIFT) build --product HoneBenchmarksPackageTests && $(SWIFT) test --skip-build

# A network end to end (Networks/NET.network): tuned twice, by the gradient
# task scheduler and by round-robin, each up to NET_TRIALS trials per task
# on average or NET_TIME_BUDGET seconds (rounds of NET_ROUND_TRIALS trials
# per task's turn), resuming from its records in
# Benchmarks/results/network-NET/; then every task's default and tuned code
# timed against oneDNN and OpenBLAS, each timing in a process of its own.
# Report (estimated end-to-end latency, trials per task, the schedulers'
# curves) in Benchmarks/results/network-NET-DATE-CPU/. NET=tiny takes
# about two minutes on 2 cores; resnet18 at the default budget about 45.
NET ?= resnet18
NET_TRIALS ?= 64
NET_TIME_BUDGET ?= 1200
NET_ROUNDS ?= 5
NET_ROUND_TRIALS ?= 16
bench-network: bench-build
	$(BENCH_BIN)/bench-network Networks/$(NET).network --trials-per-task $(NET_TRIALS) --time-budget $(NET_TIME_BUDGET) \
	  --rounds $(NET_ROUNDS) --round-trials $(NET_ROUND_TRIALS) --threads $(BENCH_THREADS) --hone $(HONE_BIN)

# A smoke run of the whole pipeline: three kernels, small budgets, about 3 minutes.
bench-quick:
	$(MAKE) bench BENCH_ONLY=GMM-3,C2D-3,SFM-1 BENCH_TRIALS=64 BENCH_TIME_BUDGET=40 BENCH_ROUNDS=3

# The search benchmark: every strategy tunes each row from scratch with
# several seeds; curves against trials and seconds, trials to 90%/95% of the
# best known, and the model's ranking of each batch before it is measured.
# Results in Benchmarks/results/search-DATE-CPU/. About 3 minutes per row,
# strategy and seed at 200 trials on 2 cores.
SEARCH_ROWS ?= GMM-3,C1D-3,C2D-3,DEP-2,T2D-2,NRM-2,CBR-1,SFM-1,LN-1,TBG-1
SEARCH_STRATEGIES ?= evolutionary,random
SEARCH_SEEDS ?= 3
SEARCH_TRIALS ?= 200
bench-search: bench-build
	cd Benchmarks && .build/release/bench-search --hone ../$(HONE_BIN) --rows $(SEARCH_ROWS) --strategies $(SEARCH_STRATEGIES) \
	  --seeds $(SEARCH_SEEDS) --trials $(SEARCH_TRIALS) --threads $(BENCH_THREADS)

# The cost model's training data: random sampling (no model, so the data
# is not biased by one) of every chosen row, written to
# Benchmarks/results/model-data/ROW.jsonl; resumes like hone tune.
MODEL_ROWS ?= GMM-2,GMM-3,BMM-1,C1D-2,C1D-3,C2D-2,C2D-3,C3D-2,GRP-2,DIL-2,DEP-2,DEP-3,T2D-2,CAP-2,NRM-2,CBR-1,SFM-1,LN-1,TBG-1
MODEL_TRIALS ?= 300
MODEL_TIME_BUDGET ?= 240
model-data: build
	@mkdir -p $(BENCH_RESULTS)/model-data/out
	@grep -v '^#' Benchmarks/suite.tsv | while IFS='	' read -r id group kernel params suite baselines; do \
	  case ",$(MODEL_ROWS)," in *",$$id,"*) ;; *) continue ;; esac; \
	  echo "[$$id] random sampling, $(MODEL_TRIALS) trials"; \
	  $(HONE_BIN) tune Kernels/$$kernel.hone --set $$params --strategy random --trials $(MODEL_TRIALS) --time-budget $(MODEL_TIME_BUDGET) \
	    --records $(BENCH_RESULTS)/model-data/$$id.jsonl -o $(BENCH_RESULTS)/model-data/out/$$id.o \
	    --schedule-out $(BENCH_RESULTS)/model-data/out/$$id.json --curve-out $(BENCH_RESULTS)/model-data/out/$$id.svg \
	    --seed 1 --threads $(BENCH_THREADS) </dev/null | tail -3 || echo "[$$id] failed"; \
	done

# The model hone tune starts from: trained on the model data of every row
# (make model-data first) and on the suite's tuning records where make bench
# wrote them (the search's own candidates, close to each other, where
# ranking is hard), and shipped as a resource of HoneSearch.
pretrained-model: bench-build
	cd Benchmarks && .build/release/bench-model --data results/model-data$$([ -d results/records ] && echo ,results/records) \
	  --save ../Sources/HoneSearch/Resources/pretrained-model.json

# Every baseline against the reference interpreter on small shapes (not part of make test).
bench-check: bench-build bench-halide
	$(BENCH_BIN)/bench-check

# The component benchmarks: hand schedules against OpenBLAS, the tree
# learner against XGBoost and LightGBM, measurement overhead, feature speed,
# and whether a cheaper LLVM pipeline ranks the search's candidates as o3 does.
bench-components: bench-build
	mkdir -p $(BENCH_RESULTS)
	$(BENCH_BIN)/bench-gemm | tee $(BENCH_RESULTS)/gemm.txt
	Benchmarks/costmodel/run.sh | tee $(BENCH_RESULTS)/costmodel.txt
	$(BENCH_BIN)/bench-measure | tee $(BENCH_RESULTS)/measure.txt
	$(BENCH_BIN)/bench-features | tee $(BENCH_RESULTS)/features.txt
	$(BENCH_BIN)/bench-pipeline | tee $(BENCH_RESULTS)/pipeline.txt

clean:
	rm -rf .build Benchmarks/.build

# Yunshao: the two commands a user needs are `make demo` and `make test`.
# Everything else here is what those two are made of.
SHELL := /bin/bash
PYTHON ?= /usr/bin/python3
JOBS ?= $(shell nproc)
BUILD ?= build
SHARED ?= $(abspath ../shared)
CMAKE_FLAGS ?=

.PHONY: all deps build build-asan build-fuzz test test-unit test-asan test-fuzz \
	test-integration test-conformance demo demo-stop bench format format-check clean

all: build

deps:
	@./deploy/deps-debian.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@[ -f build-asan/build.ninja ] || cmake -S . -B build-asan -G Ninja -DYS_SANITIZE=ON \
		-DCMAKE_BUILD_TYPE=Debug
	cmake --build build-asan -j $(JOBS)

build-fuzz: deps
	@[ -f build-fuzz/build.ninja ] || CC=clang cmake -S . -B build-fuzz -G Ninja -DYS_FUZZ=ON \
		-DYS_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-fuzz -j $(JOBS) --target fuzz-all

# `make test`: every test there is. Each stage prints its own summary line.
test: build build-asan build-fuzz format-check
	@$(MAKE) --no-print-directory test-unit test-asan test-fuzz test-integration test-e2e \
		test-conformance

test-unit:
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

test-asan:
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS) -L unit

# Every libFuzzer target for a short run over its seed corpus.
FUZZ_SECONDS ?= 20
test-fuzz:
	@./tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

test-integration:
	YS_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest -q -ra tests/integration

# The SOC console in Debian's Chromium against a real sensor -> Kafka -> ingest pipeline.
test-e2e:
	YS_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest -q -ra tests/e2e

# Suricata's own regression tests (../shared/conformance), when present.
test-conformance:
	@./tests/conformance/run.sh $(abspath $(BUILD)) $(SHARED)

demo: build
	@./tests/data/demo.sh $(abspath $(BUILD))

demo-stop:
	@./tests/data/demo.sh stop

bench: build
	@./tests/bench/run.sh $(abspath $(BUILD)) $(SHARED)

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

format-check:
	@bad=$$(git ls-files '*.c' '*.h' | while read -r f; do \
		clang-format --dry-run --Werror "$$f" >/dev/null 2>&1 || echo "$$f"; done); \
	if [ -n "$$bad" ]; then echo "format-check: not clang-formatted: $$bad"; \
		echo "run 'make format'"; exit 1; fi; echo "format-check: ok"

clean:
	rm -rf build build-asan build-fuzz

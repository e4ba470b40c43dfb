# Lethe: the documented entry points (CONTRACT.md). Everything builds into build/.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all build setup test demo bench bench-setup clean

all: build

setup:
	@bash scripts/setup

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: setup
	$(MAKE) build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600 -LE bench

demo: setup
	$(MAKE) build
	$(BUILD)/bin/lethe demo

# The PyTorch twin of the training step (bench/pytorch_train_step.py) needs Debian's
# python3-torch, the same LibTorch 1.13 Lethe links; only the benchmarks need it.
bench-setup: setup
	@dpkg-query -W -f='$${Status}' python3-torch 2>/dev/null | grep -q "install ok installed" || \
	  { echo "bench-setup: installing python3-torch"; \
	    $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -q --no-install-recommends python3-torch; }

bench: bench-setup
	$(MAKE) build
	$(BUILD)/bin/lethe bench all --out bench/results

clean:
	rm -rf $(BUILD)

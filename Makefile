# The two commands a newcomer runs:  make demo   and   make test
# Both are idempotent: they create the virtual environment on first use and reuse it after.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.t2iqa-installed
DEMO_STORE ?= demo-store
DEMO_QA ?= demo-qa
DEMO_GATE ?= demo-gate
# Debian packages: DejaVu fonts (rendered-text tests and QA samples), opencv-doc, whose
# documentation ships the photographs of real hands the hand-anatomy tests use, and chromium,
# which the browser tests drive through Playwright (no browser is downloaded), and postgresql,
# whose server the team-store tests start on 127.0.0.1 (its service is never started).
SYSTEM_PACKAGES := fonts-dejavu-core opencv-doc chromium postgresql

.PHONY: setup system-deps demo dashboard test lint speed speed-checks speed-metrics \
	speed-dashboard speed-suite-load speed-rerun speed-overlap speed-engines speed-scorers speed-gpu \
	speed-loads \
	suites clean

setup: $(STAMP) system-deps

system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# Reinstalls when the dependency pins change. constraints.txt pins the whole tree.
# A first install needs about 8 GB (PyTorch's CUDA build and its libraries): say so up front
# rather than let pip fail half-way with "No space left on device".
NEED_GB := 8
$(STAMP): pyproject.toml constraints.txt
	@if [ ! -x $(BIN)/python ]; then \
	  mkdir -p $(VENV); \
	  free_gb=$$(df -Pk $(VENV) | awk 'NR==2 {print int($$4 / 1048576)}'); \
	  if [ "$$free_gb" -lt $(NEED_GB) ]; then \
	    echo "error: installing needs about $(NEED_GB) GB free for $(VENV); its disk has $$free_gb GB." \
	      "Free some space, or put the environment elsewhere: make VENV=/path/with/space ..." >&2; \
	    rmdir $(VENV) 2>/dev/null; exit 1; \
	  fi; \
	fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# The main job: the smoke suite on the embedded generator with the embedded (tiny, random)
# scorer models, every check plus FID/KID/CMMD/FD-DINOv2 against the QA sample images as the reference:
# a plumbing check of the whole path, at 30 and at 10 denoising steps, and the CI gate's
# comparison of the two (a report in demo-store/compare.html; exit 1 would mean a regression,
# which the demo shows rather than fails on). Then pre-publication QA on those samples (signs
# with right and wrong text, real hand photos): `t2iqa check` exits 1 because some fail on
# purpose. Then the same samples imported as a run (as images from a closed tool would be),
# so the dashboard's gallery has real OCR boxes and hand landmarks to draw. Last, the gate
# catching a real regression: two imported "releases" of a sign tool, the second misspelling
# every other word; `t2iqa compare` must exit 1 on them (the demo fails if it does not).
# Between them, disclosure: two samples marked as AI-made by `t2iqa disclose` (XMP and a C2PA
# manifest signed with a throwaway certificate), then checked beside an unmarked original,
# which must fail under `disclosure: required`.
DEMO_RUN := HF_HUB_OFFLINE=1 $(BIN)/t2iqa run --suite smoke --model embedded --seeds 2 \
	  --scorers embedded --set-metric fid --set-metric kid --set-metric cmmd \
	  --set-metric fd_dinov2 --set-metric fd_clip --set-option fid.reference=$(DEMO_QA) \
	  --set-option kid.reference=$(DEMO_QA) --set-option cmmd.reference=$(DEMO_QA) \
	  --set-option fd_dinov2.reference=$(DEMO_QA) --set-option fd_clip.reference=$(DEMO_QA) \
	  --store $(DEMO_STORE)

demo: setup
	$(BIN)/python -m t2iqa.benchmarks.qa_samples $(DEMO_QA)
	$(DEMO_RUN) --steps 30 --run-id demo-steps30
	$(DEMO_RUN) --steps 10 --run-id demo-steps10
	$(BIN)/t2iqa compare demo-steps30 demo-steps10 --store $(DEMO_STORE) \
	  --html $(DEMO_STORE)/compare.html --markdown $(DEMO_STORE)/compare.md \
	  --junit $(DEMO_STORE)/compare.xml; test $$? -le 1
	$(BIN)/t2iqa check --manifest $(DEMO_QA)/manifest.jsonl --annotate $(DEMO_QA)/annotated; \
	  code=$$?; test $$code -le 1 -o $$code -eq 3
	$(BIN)/python -m t2iqa.benchmarks.signing $(DEMO_QA)/signer >/dev/null
	$(BIN)/t2iqa disclose $(DEMO_QA)/face-astronaut.png $(DEMO_QA)/people-two.png \
	  --out $(DEMO_QA)/disclosed --cert $(DEMO_QA)/signer/chain.pem \
	  --key $(DEMO_QA)/signer/signer.key --overwrite
	printf 'checks: [image_sanity, people_count, content_credentials]\noptions:\n  content_credentials: {disclosure: required}\n' \
	  > $(DEMO_QA)/disclosure-policy.yaml
	$(BIN)/t2iqa check $(DEMO_QA)/disclosed/face-astronaut.png $(DEMO_QA)/face-astronaut.png \
	  --prompt "a portrait photo of a woman" --policy $(DEMO_QA)/disclosure-policy.yaml; \
	  code=$$?; if [ $$code -ne 1 ]; then echo "the undisclosed original should fail (exit 1), got $$code"; exit 1; fi
	HF_HUB_OFFLINE=1 $(BIN)/t2iqa run --suite $(DEMO_QA)/import-suite.yaml --images $(DEMO_QA) \
	  --manifest $(DEMO_QA)/import.csv --model qa-samples --run-id qa-samples \
	  --check image_sanity --check ocr_text --check unexpected_text --check hand_anatomy \
	  --check people_count --check face_anatomy --check body_anatomy \
	  --store $(DEMO_STORE) >/dev/null
	$(BIN)/python -m t2iqa.benchmarks.gate_demo $(DEMO_GATE)
	for r in 1 2; do HF_HUB_OFFLINE=1 $(BIN)/t2iqa run --suite $(DEMO_GATE)/suite.yaml \
	  --images $(DEMO_GATE)/release-$$r --manifest $(DEMO_GATE)/release-$$r/manifest.csv \
	  --model sign-tool-release-$$r --run-id signs-release-$$r --check image_sanity \
	  --check ocr_text --store $(DEMO_STORE) >/dev/null || exit 1; done
	$(BIN)/t2iqa compare signs-release-1 signs-release-2 --store $(DEMO_STORE) \
	  --html $(DEMO_STORE)/gate.html --markdown $(DEMO_STORE)/gate.md \
	  --junit $(DEMO_STORE)/gate.xml; \
	  code=$$?; if [ $$code -ne 1 ]; then echo "the gate should have failed (exit 1), got $$code"; exit 1; fi
	@echo "the gate caught the planted regression (exit 1, as it should); report: $(DEMO_STORE)/gate.html"
	@echo "dashboard over these runs: $(BIN)/t2iqa dashboard --store $(DEMO_STORE)"
	@echo "its Arena page (?page=arena) is ready for blind votes between the runs"

# The dashboard over the demo's store (run `make demo` first): http://127.0.0.1:8501
dashboard: setup
	$(BIN)/t2iqa dashboard --store $(DEMO_STORE)

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	HF_HUB_OFFLINE=1 T2IQA_REQUIRE_SYSTEM_DATA=1 $(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# Harness overhead: `t2iqa run` wall time against bare pipeline calls (target ratio <= 1.10).
speed: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m t2iqa.benchmarks.speed_overhead

# Per-check time per image, and `t2iqa check` throughput against a bare loop over the engines.
speed-checks: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m t2iqa.benchmarks.speed_checks

# CLIP image embedding and FID feature extraction throughput, and FID compute time.
speed-metrics: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m t2iqa.benchmarks.speed_metrics

# Dashboard page times on a generated store of 5,184 images (target: under 2 s per page).
speed-suite-load: setup
	$(BIN)/python -m t2iqa.benchmarks.speed_suite_load

speed-dashboard: setup
	$(BIN)/python -m t2iqa.benchmarks.speed_dashboard

# An unchanged 1,080-image run, run again in fresh processes.
speed-rerun: setup
	$(BIN)/python -m t2iqa.benchmarks.speed_rerun

speed-overlap: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m t2iqa.benchmarks.speed_overlap

# Local engine against the Ray engine (a local cluster), and SQLite against PostgreSQL writes.
speed-engines: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m t2iqa.benchmarks.speed_engines

# Preference scorers (PickScore, HPS v2.1) beside CLIPScore: images/s at batch 1, 32, 128
# (embedded stand-ins here) and the real models' roofline on a GPU.
speed-scorers: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m t2iqa.benchmarks.speed_scorers

# Building EasyOCR's reader and CLIP ViT-L/14 with and without the random draws their weights
# replace.
speed-loads: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m t2iqa.benchmarks.speed_loads

# Needs a CUDA GPU: generation (SD 1.5, SDXL) and feature networks, random weights.
speed-gpu: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m t2iqa.benchmarks.speed_gpu

# Rebuild the bundled suites from their generator code.
suites: setup
	$(BIN)/python -m t2iqa.benchmarks.build_suites

clean:
	rm -rf $(DEMO_STORE) $(DEMO_QA) $(DEMO_GATE) .pytest_cache .ruff_cache

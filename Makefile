# make run  — set up, migrate the SQLite database, load the demo Bündnis, start the server
# make test — set up and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

LOCALES := en ar fa fa_AF ps ku ckb ti so uk ru tr fr ur
PACKAGES := base bot care dialogs entries offers places referrals surveys results store admin_api wegweiser
PO := $(wildcard locales/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)
# Staff pages: their own domain `staff`, German source, English as the second language.
STAFF_LOCALES := en
STAFF_PO := $(wildcard locales/*/LC_MESSAGES/staff.po)
STAFF_MO := $(STAFF_PO:.po=.mo)

.PHONY: setup run test lint chat messages staff-messages compile clean chromium bench reliability

$(STAMP): pyproject.toml
	@command -v msgfmt >/dev/null || (apt-get update -q && apt-get install -y -q gettext)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) compile chromium

# Debian's Chromium for the browser tests (Playwright drives it; never `playwright install`),
# with Noto fonts so Arabic, Persian and Ge'ez (Tigrinya) render in screenshots and posters,
# and FriBiDi, which Pillow's text layout (libraqm) needs for right-to-left poster lines.
chromium:
	@(test -x /usr/bin/chromium -a -d /usr/share/fonts/truetype/noto && dpkg -s libfribidi0 >/dev/null 2>&1) \
		|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		chromium fonts-noto-core libfribidi0 >/dev/null)

# Compiled catalogs are built here (not committed); tests/test_i18n.py fails on a stale one.
compile: $(MO) $(STAFF_MO)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel --quiet compile -i $< -o $@

# Extract German source strings (Python + flow YAML), update every locale, compile.
messages: $(STAMP) staff-messages
	$(BIN)/pybabel --quiet extract -F babel.cfg -k N_ -k NC_:1c,2 -k NP_:1,2 --no-wrap --sort-by-file \
		--project=Wegweiser -o locales/messages.pot $(PACKAGES)
	@for l in $(LOCALES); do \
		if [ -f locales/$$l/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel --quiet update --no-wrap --no-fuzzy-matching --ignore-obsolete \
				-i locales/messages.pot -d locales -l $$l; \
		else \
			$(BIN)/pybabel --quiet init --no-wrap -i locales/messages.pot -d locales -l $$l; \
		fi; \
	done
	$(MAKE) --no-print-directory compile

# Staff pages (admin_api/web: S_() in Python, _() in templates) into locales/staff.pot.
staff-messages: $(STAMP)
	$(BIN)/pybabel --quiet extract -F babel-staff.cfg --no-default-keywords -k S_ -k _ --no-wrap \
		--sort-by-file --project=Wegweiser -o locales/staff.pot admin_api/web
	@for l in $(STAFF_LOCALES); do \
		if [ -f locales/$$l/LC_MESSAGES/staff.po ]; then \
			$(BIN)/pybabel --quiet update --no-wrap --no-fuzzy-matching --ignore-obsolete -D staff \
				-i locales/staff.pot -d locales -l $$l; \
		else \
			$(BIN)/pybabel --quiet init --no-wrap -D staff -i locales/staff.pot -d locales -l $$l; \
		fi; \
	done
	$(MAKE) --no-print-directory compile

run: setup
	$(BIN)/wegweiser db upgrade
	$(BIN)/wegweiser demo load
	$(BIN)/wegweiser serve

chat: setup
	$(BIN)/wegweiser db upgrade
	$(BIN)/wegweiser chat

# Two workers (pytest-xdist) on this 2-core machine; TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
test: setup
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

bench: setup
	$(BIN)/python bench/telegram_throughput.py

# Load with worker kills and a database outage (bench/load.py, JSON on stdout, fails when data
# is lost or doubled), then the input fuzzing at a larger budget. About 10-15 minutes here.
RELIABILITY_PEOPLE ?= 120
RELIABILITY_SECONDS ?= 300
RELIABILITY_KILLS ?= 3
RELIABILITY_OUTAGE ?= 10
reliability: setup
	@mkdir -p test-artifacts
	$(BIN)/python bench/load.py --people $(RELIABILITY_PEOPLE) --seconds $(RELIABILITY_SECONDS) \
		--kills $(RELIABILITY_KILLS) --outage $(RELIABILITY_OUTAGE) > test-artifacts/reliability.json; \
		status=$$?; cat test-artifacts/reliability.json; exit $$status
	FUZZ_PROFILE=reliability $(BIN)/pytest -q tests/test_fuzz_inputs.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts

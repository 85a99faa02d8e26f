# yunting — two commands: `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
# Reinstall whenever pyproject.toml changes.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: install vendor messages run test quick check bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) vendor

# Browser assets come from npm (package-lock.json) and are copied into a git-ignored
# folder at build time; nothing is fetched from a CDN at run time.
VENDOR := web/static/vendor
VENDOR_FILES := $(VENDOR)/socket.io.esm.min.js $(VENDOR)/signature_pad.js
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@
$(VENDOR)/socket.io.esm.min.js: node_modules/.package-lock.json
	mkdir -p $(VENDOR) && cp node_modules/socket.io-client/dist/socket.io.esm.min.js $@
$(VENDOR)/signature_pad.js: node_modules/.package-lock.json
	mkdir -p $(VENDOR) && cp node_modules/signature_pad/dist/signature_pad.js $@
vendor: $(VENDOR_FILES)

## Extract translatable messages (templates, Python, JS) into build/messages.pot and list
## the msgids web/locale/zh_CN/LC_MESSAGES/messages.po lacks (append them by hand: others
## append too, so the catalog is never re-sorted).
messages: install
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ -k t -o build/messages.pot web
	$(PY) -m web.i18n missing build/messages.pot

## Serve on http://127.0.0.1:8080 with the embedded defaults and demo data.
run: install
	$(BIN)/yunting db upgrade
	$(BIN)/yunting pki init
	$(BIN)/yunting demo
	$(BIN)/yunting serve

## Lint, type-check, check the layering, then the whole test suite.
test: check
	$(PY) -m pytest

## The quick inner loop: everything but the slow (browser, long media) tests.
quick: install
	$(PY) -m pytest -m "not slow" -q

check: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache

# One command to see it, one to test it. Both start from a machine with only python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo test lint format migrations-check bench bench-scale bench-scale-out wheel-check messages compilemessages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seeddemo
	$(BIN)/uvicorn example_project.asgi:application --host $(HOST) --port $(PORT)

# The suite in one process per core (at most 4: each takes a Redis database, tests/settings.py);
# a file's tests run in the same process. TEST_PROCESSES=0 runs it in this one process.
TEST_PROCESSES ?= auto
test: install
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --maxprocesses 4 --dist loadfile $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run oauthcore

bench: install
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/run.py

# PostgreSQL + Redis: one gunicorn server, then two (docs/deployment.md, Sizing); Redis restarted
# under load. Needs wrk and PostgreSQL at 127.0.0.1:5432 (a few minutes).
bench-scale-out: install
	$(BIN)/python bench/scale_out.py
	$(BIN)/python bench/cache_restart.py

# 10^3 and 10^7 rows on PostgreSQL, measured in turns (databases `scale` and `scale_large`, Redis
# dbs 8 and 7): bench/README.md "At scale".
bench-scale: install
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/scale.py

wheel-check: install
	bash .ci/wheel-check

# Translations (docs/translations.md): `make messages` extracts every marked string into each
# locale's django.po (new strings get an empty msgstr to translate); `make compilemessages` builds
# the .mo files that ship in the wheel. Both run from each catalog's own folder, so the package's
# catalog holds only the package's strings and the example project's only its own.
LOCALES := ar de es fr it ja nl pl pt_BR zh_Hans
DJANGO_ADMIN := $(abspath $(BIN))/django-admin
MESSAGES_FLAGS := --no-obsolete --add-location file --no-wrap

messages: install
	cd oauthcore && $(DJANGO_ADMIN) makemessages $(MESSAGES_FLAGS) $(addprefix -l ,$(LOCALES))
	# The example project (example_project/, templates/) into example_project/locale (LOCALE_PATHS):
	# 'oauthcore/*' would also skip templates/oauthcore/, hence the file patterns.
	$(BIN)/python manage.py makemessages $(MESSAGES_FLAGS) $(addprefix -l ,$(LOCALES)) \
		--ignore 'oauthcore/*.py' --ignore 'oauthcore/*.html' --ignore 'oauthcore/*.txt' \
		--ignore 'tests/*' --ignore 'bench/*' --ignore 'scripts/*' --ignore 'docs/*' \
		--ignore '.venv/*' --ignore 'build/*' --ignore 'dist/*' --ignore 'node_modules/*'

compilemessages: install
	cd oauthcore && $(DJANGO_ADMIN) compilemessages
	cd example_project && $(DJANGO_ADMIN) compilemessages

clean:
	rm -rf $(VENV) build dist *.egg-info db.sqlite3

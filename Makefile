# HealthBank — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The demo's address: `PORT=8100 make demo` serves another port; e-mail links and the printed
# card-agent commands follow SITE_URL (docs/operations.md).
PORT ?= 8000
SITE_URL ?= http://127.0.0.1:$(PORT)
export SITE_URL

.PHONY: demo test install lint format bench load faults clean serve population taxfiling healthapp

$(STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py createcachetable
	$(PY) manage.py generate_population --people $${PEOPLE:-300} --seed $${SEED:-2026} --demo-logins
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# The demo agency that logs people in with HealthBank (issue 14): run beside `make demo`, open :8001.
taxfiling: install
	$(PY) demo/taxfiling.py --healthbank $(SITE_URL)

# The demo health app 血糖日記 that reads labs and vaccinations with consent (issue 14): beside `make demo`, open :8002.
healthapp: install
	$(PY) demo/healthapp.py --healthbank $(SITE_URL)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) bench/run.py

# The load test (bench/README.md, "The load test"): Locust comes from requirements-load.txt, installed here only
# (the locked versions as constraints); LOAD_PEOPLE, LOAD_USERS, LOAD_SECONDS, LOAD_WORKERS tune it.
load: install
	$(PY) -m pip install --quiet -r requirements-load.txt -c requirements.lock
	$(PY) bench/load.py

# The faults (bench/README.md, "The faults"): the same set-up and mix while a gunicorn worker is killed, Redis is
# stopped and started and PostgreSQL restarted (as root: it disturbs everyone on the machine); prints the counts.
faults: install
	$(PY) -m pip install --quiet -r requirements-load.txt -c requirements.lock
	$(PY) bench/faults.py

clean:
	rm -rf var/ .pytest_cache

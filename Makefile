# swanfleet.ipsec: the two commands are 'make demo' and 'make test'.
SHELL := /bin/bash
VENV := $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.build/collections
export PYTHONPATH := $(CURDIR)/lab
export ANSIBLE_FORCE_COLOR ?= 0
SITES ?= 3
LABCTL := python -m swanlab.labctl

.PHONY: demo test bootstrap lab-up lab-down lint unit integration molecule clean

## demo: set up, bring the lab up, run site.yml, show every tunnel passing traffic
demo: bootstrap lab-up
	cd lab/inventory && ansible-playbook site.yml
	cd lab/inventory && ansible-playbook swanfleet.ipsec.verify

## test: set up, then lint, unit tests and the molecule scenarios
test: bootstrap lint unit integration molecule

bootstrap:
	./scripts/bootstrap.sh

lab-up:
	$(LABCTL) up --sites $(SITES)

lab-down:
	$(LABCTL) down

lint:
	yamllint -s .
	ruff check plugins lab tests
	black --check --quiet plugins lab tests
	ansible-lint

unit:
	$(LABCTL) inventory --sites $(SITES) >/dev/null
	pytest -q tests/unit

## integration: modules against real servers started by the tests (BIND9 on loopback)
integration:
	pytest -q tests/integration

# Scenarios share one lab: molecule's own record of what it created is dropped
# first, so that every scenario's create step runs labctl up (idempotent).
molecule:
	$(LABCTL) inventory --sites $(SITES) >/dev/null
	molecule reset --all >/dev/null
	molecule test --all --destroy never

clean: lab-down
	rm -rf .build .lab

## bench-dns: publish 100 gateways with dns_keys and with community.general.nsupdate
.PHONY: bench-dns
bench-dns:
	python benchmarks/dns_publish.py

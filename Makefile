# swanfleet.ipsec: the two commands are 'make demo' and 'make test'.
SHELL := /bin/bash
VENV := $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.build/collections
export PYTHONPATH := $(CURDIR)/lab
export ANSIBLE_FORCE_COLOR ?= 0
SITES ?= 3
LABCTL := python -m swanlab.labctl

.PHONY: demo test bootstrap lab-up lab-down lint unit integration molecule lab-tests clean

## demo: set up, bring the lab up, run site.yml, show every tunnel passing traffic
demo: bootstrap lab-up
	cd lab/inventory && ansible-playbook site.yml
	cd lab/inventory && ansible-playbook swanfleet.ipsec.verify

## test: set up, then lint, unit tests, the molecule scenarios and the tests on the lab
test: bootstrap lint unit integration molecule lab-tests

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

## lab-tests: measurements on the converged lab's real tunnels (tunnel MTU, safe runs)
lab-tests:
	pytest -q tests/lab

clean: lab-down
	rm -rf .build .lab

## bench-mtu: computed tunnel MTU against what the lab's tunnel carries, and against MTU 1400
.PHONY: bench-mtu
bench-mtu:
	python benchmarks/tunnel_mtu.py

## bench-dns: publish 100 gateways with dns_keys and with community.general.nsupdate
.PHONY: bench-dns
bench-dns:
	python benchmarks/dns_publish.py

## bench-fleet: site.yml first run and rerun on fresh full-mesh labs of 3, 6 and 12 sites
## (takes the lab: run it as 'flock /tmp/swanfleet-lab.lock make bench-fleet')
.PHONY: bench-fleet
bench-fleet:
	python benchmarks/fleet_scale.py

## bench-faults: recovery time and packets lost after each fault, on the converged lab
.PHONY: bench-faults
bench-faults:
	python benchmarks/faults.py

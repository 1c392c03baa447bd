# Beacon: `make run` and `make test` are all a new machine needs (Debian/Ubuntu with Swift installed).

SWIFT ?= swift

.PHONY: run test build prerequisites format lint clean

## Installs what is missing, then starts RabbitMQ (UI on :15672), an SMTP server, the worker and the web server.
run: prerequisites
	scripts/run-local

## Every test target against a throwaway RabbitMQ node and SMTP server of its own.
test: prerequisites
	scripts/test-services $(SWIFT) test

build: prerequisites
	$(SWIFT) build

prerequisites:
	scripts/install-prerequisites

format:
	$(SWIFT) format --in-place --recursive --parallel Package.swift Sources Tests worker

lint:
	$(SWIFT) format lint --strict --recursive --parallel Package.swift Sources Tests worker

clean:
	rm -rf .build var/test

# Beacon: `make run` and `make test` are all a new machine needs (Debian/Ubuntu with Swift installed).

SWIFT ?= swift

.PHONY: run test test-tsan build prerequisites format lint clean bench chaos chaos-short

## Installs what is missing, then starts RabbitMQ (UI on :15672), an SMTP server, the worker and the web server.
run: prerequisites
	scripts/run-local

## Every test target against a throwaway RabbitMQ node and SMTP server of its own, then the short fault-injection
## suite (chaos scenarios 1, 3, 5, 9 and 10) on the debug binaries that `swift test` has just built.
test: prerequisites
	scripts/test-services $(SWIFT) test
	$(MAKE) --no-print-directory chaos-short

## The signal and outbox tests under ThreadSanitizer (their lock-free snapshot and buffers), in a build folder of
## their own. BEACON_TSAN makes their `Mutex` announce its critical sections to TSan, which cannot see its futex;
## scripts/tsan-suppressions.txt names the one report that is not Beacon's (the standard library's empty array).
test-tsan:
	TSAN_OPTIONS="suppressions=$(CURDIR)/scripts/tsan-suppressions.txt $${TSAN_OPTIONS:-}" \
		$(SWIFT) test --sanitize=thread -Xswiftc -DBEACON_TSAN --scratch-path .build-tsan --filter 'BeaconTests|BeaconOutboxTests'

chaos-short:
	$(SWIFT) build --product web
	$(SWIFT) build --product worker
	python3 scripts/proof/chaos.py --short --skip-build

## The fault-injection suite: 10 scenarios, each on a broker, SMTP server, worker and web server of its own;
## ends with `N passed, N failed`. CHAOS_ARGS="--only 2,7" runs a subset; CONFIGURATION=release tests release builds.
chaos: prerequisites
	python3 scripts/proof/chaos.py $(CHAOS_ARGS)

## Beacon against the Flask peer end to end (web, AMQP client, worker, request-to-log latency, memory); rewrites the
## end-to-end part of BENCHMARKS.md. About 20-30 minutes; BENCH_ARGS="--only e2e --runs 3" or "--quick --skip-build" for a subset.
bench:
	scripts/install-prerequisites --bench
	python3 scripts/proof/bench.py $(BENCH_ARGS)

build: prerequisites
	$(SWIFT) build

prerequisites:
	scripts/install-prerequisites

format:
	$(SWIFT) format --in-place --recursive --parallel Package.swift Sources Tests worker Examples

lint:
	$(SWIFT) format lint --strict --recursive --parallel Package.swift Sources Tests worker

clean:
	rm -rf .build var/test

#!/usr/bin/env bash
# `npm run test:unit`: the inner loop. Type-check and lint (in the background) beside the jest
# suites that need no local cloud and install nothing: constructs, the handler against mocked SDK
# clients, the README and docs checks, the scripts. `npm test` stays the whole run CI makes.
set -u
cd "$(dirname "$0")/../.."
mkdir -p .tmp
npx tsc --noEmit -p test/tsconfig.json > .tmp/test-unit-typecheck.log 2>&1 &
typecheck=$!
# With eslint's cache: a file unchanged since the last run is not linted again (a rule that reads
# another file's types may then miss a change there; \`npm test\` lints everything afresh).
npx projen eslint --cache --cache-location .tmp/eslintcache > .tmp/test-unit-eslint.log 2>&1 &
lint=$!
npx jest --ci \
  --testPathIgnorePatterns '/node_modules/' '/test/lifecycle/' '/test/local-cloud/' '/test/matrix\.test\.ts$' '/test/snippets\.test\.ts$' \
  "$@"
status=$?
if ! wait "$typecheck"; then cat .tmp/test-unit-typecheck.log; echo "test:unit: typecheck failed"; status=1; fi
if ! wait "$lint"; then cat .tmp/test-unit-eslint.log; echo "test:unit: eslint failed"; status=1; fi
exit $status

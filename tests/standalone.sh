#!/usr/bin/env bash
# Proves that a clone stands on its own: copies the tracked tree (git
# ls-files) into an empty temporary folder with no neighbours, builds there
# and runs the unit suites, which read the signing vectors. Nothing beside the
# copy exists, so a test that reads outside the repository fails here.
#   tests/standalone.sh            unit suites in the copy
#   tests/standalone.sh SUITE...   other suites too (integration, ui)
set -euo pipefail
cd "$(dirname "$0")/.."

outer=$(mktemp -d "${TMPDIR:-/tmp}/wxrev-alone.XXXXXX")
trap 'rm -rf "$outer"' EXIT
copy="$outer/wxrev"
mkdir "$copy"
git ls-files -z | tar --null -T - -cf - | tar -C "$copy" -xf -
# The copy's only neighbour is nothing: the temporary folder holds just it.
[ "$(ls -A "$outer")" = wxrev ]

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit)
cd "$copy"
tests/run.sh "${suites[@]}" # builds what the suites run first

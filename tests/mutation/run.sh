#!/usr/bin/env bash
# Mutation testing of the rules' core (issue 18), from a clean state; prints the score of each module.
#
#   . .venv/bin/activate && tests/mutation/run.sh
#   MUTATION_MAX_CHILDREN=4 tests/mutation/run.sh     # more parallel workers (default 2)
#
# Slow (hours on two cores), so not part of .ci/run. What is in scope: tests/mutation/scope.py; mutants
# known to be equivalent or harmless: tests/mutation/equivalent.md. Afterwards `mutmut show NAME` shows a
# mutant, `python tests/mutation/score.py --survivors` lists those neither killed nor explained, and
# `mutmut run NAME` re-runs one (after copying a new test into mutants/tests/).
set -euo pipefail
cd "$(dirname "$0")/../.."

# mutmut's mutated modules are megabytes (every mutant is a copy of its function): compiled again by every
# flowctl child a test starts, they cost seconds each. Written once as bytecode, they load in milliseconds.
unset PYTHONDONTWRITEBYTECODE

children="${MUTATION_MAX_CHILDREN:-2}"
mapfile -t patterns < <(python tests/mutation/scope.py patterns)

rm -rf mutants
mkdir mutants
started=$(date +%s)
echo "mutmut run --max-children $children <${#patterns[@]} scope patterns from tests/mutation/scope.py>"
echo "  (its progress: mutants/mutmut.log)"
# mutmut exits 0 whatever the mutants did; a failure here is a failure to run (e.g. the clean tests failed)
mutmut run --max-children "$children" "${patterns[@]}" > mutants/mutmut.log 2>&1 || {
    tail -n 40 mutants/mutmut.log >&2
    exit 1
}
mutmut_done=$(date +%s)
echo "python tests/mutation/decorated.py run --max-children $children  (the stores' @contextmanager transactions)"
python tests/mutation/decorated.py run --max-children "$children" > mutants/decorated.log 2>&1 || {
    tail -n 40 mutants/decorated.log >&2
    exit 1
}
finished=$(date +%s)
printf 'took %dm%02ds (mutmut %dm%02ds, decorated %dm%02ds)\n\n' \
    $(((finished - started) / 60)) $(((finished - started) % 60)) \
    $(((mutmut_done - started) / 60)) $(((mutmut_done - started) % 60)) \
    $(((finished - mutmut_done) / 60)) $(((finished - mutmut_done) % 60))
python tests/mutation/score.py

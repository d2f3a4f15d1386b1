#!/usr/bin/env bash
# Mutation testing of the rules' core (issue 18); prints the score of each module.
#
#   . .venv/bin/activate && tests/mutation/run.sh            # every mutant judged afresh
#   tests/mutation/run.sh --resume                           # only what tests/mutation/verdicts.json lacks
#   MUTATION_MAX_CHILDREN=4 tests/mutation/run.sh            # more parallel workers (default 2)
#
# Slow (hours on two cores), so not part of .ci/run. What is in scope: tests/mutation/scope.py; mutants
# known to be equivalent or harmless: tests/mutation/equivalent.md. The verdicts go to
# tests/mutation/verdicts.json as they come (every few minutes and at the end), so a run stopped part way
# continues with --resume, from the same or a fresh checkout. Afterwards `mutmut show NAME` shows a mutant,
# `python tests/mutation/score.py --survivors` lists those neither killed nor explained, and
# `mutmut run NAME` re-runs one (after copying a new test into mutants/tests/).
set -euo pipefail
cd "$(dirname "$0")/../.."

resume=false
case "${1:-}" in
    --resume) resume=true ;;
    "") ;;
    *) echo "usage: tests/mutation/run.sh [--resume]" >&2; exit 2 ;;
esac

# mutmut's mutated modules are megabytes (every mutant is a copy of its function): compiled again by every
# flowctl child a test starts, they cost seconds each. Written once as bytecode, they load in milliseconds.
unset PYTHONDONTWRITEBYTECODE

children="${MUTATION_MAX_CHILDREN:-2}"
started=$(date +%s)
rm -rf mutants
mkdir mutants

# mutmut exits 0 whatever the mutants did; a failure here is a failure to run (e.g. the clean tests failed)
mutmut_failed() {
    tail -n 40 "$1" >&2
    exit 1
}

if $resume; then
    echo "mutmut run \"none*\"  (generates the mutants and records which tests reach which function)"
    # matches no mutant on purpose, which mutmut reports as an error after it has done both
    mutmut run "none*" > mutants/stats.log 2>&1 || true
    [ -s mutants/mutmut-stats.json ] || mutmut_failed mutants/stats.log
    python tests/mutation/verdicts.py restore
    mapfile -t pending < <(python tests/mutation/verdicts.py pending)
    mapfile -t names < <(printf '%s\n' "${pending[@]}" | grep -v __decorated_ || true)
    mapfile -t decorated < <(printf '%s\n' "${pending[@]}" | grep __decorated_ || true)
    echo "${#names[@]} mutants and ${#decorated[@]} decorated ones still to run"
else
    mapfile -t names < <(python tests/mutation/scope.py patterns)
    decorated=()
fi

# the verdicts so far, saved every five minutes while the mutants run
( while sleep 300; do python tests/mutation/verdicts.py save > /dev/null 2>&1 || true; done ) &
saver=$!
trap 'kill $saver 2> /dev/null || true' EXIT

if [ "${#names[@]}" -gt 0 ] && [ -n "${names[0]}" ]; then
    echo "mutmut run --max-children $children <${#names[@]} names or patterns>  (its progress: mutants/mutmut.log)"
    mutmut run --max-children "$children" "${names[@]}" > mutants/mutmut.log 2>&1 || mutmut_failed mutants/mutmut.log
fi
mutmut_done=$(date +%s)
if ! $resume || { [ "${#decorated[@]}" -gt 0 ] && [ -n "${decorated[0]}" ]; }; then
    echo "python tests/mutation/decorated.py run --max-children $children  (the stores' @contextmanager transactions)"
    python tests/mutation/decorated.py run --max-children "$children" ${decorated[@]+"${decorated[@]}"} \
        > mutants/decorated.log 2>&1 || mutmut_failed mutants/decorated.log
fi
finished=$(date +%s)
python tests/mutation/verdicts.py save
printf 'took %dm%02ds (mutmut %dm%02ds, decorated %dm%02ds)\n\n' \
    $(((finished - started) / 60)) $(((finished - started) % 60)) \
    $(((mutmut_done - started) / 60)) $(((mutmut_done - started) % 60)) \
    $(((finished - mutmut_done) / 60)) $(((finished - mutmut_done) % 60))
python tests/mutation/score.py

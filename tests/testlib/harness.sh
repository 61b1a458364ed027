# harness.sh - the shell test runners' results: PASS/FAIL lines and the last two lines
# "NAME tests: N s" and "N passed, N failed". Source it with NAME set: . tests/testlib/harness.sh
passed=0
failed=0
t_start=$SECONDS
pass() { passed=$((passed + 1)); echo "PASS: $1${2:+ ($2)}"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1${2:+: $2}"; }
summary() { echo "$NAME tests: $((SECONDS - t_start)) s"; echo "$passed passed, $failed failed"; }

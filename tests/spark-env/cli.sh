#!/bin/sh
# cli.sh ENV_BINARY - the mmlspark-env command line: eval output, exec, and its exit codes.
env_bin=$1
fails=0
check() { # NAME EXPECTED_RC ACTUAL_RC
  if [ "$2" = "$3" ]; then echo "PASS: $1"; else echo "FAIL: $1 (exit $3, expected $2)"; fails=$((fails + 1)); fi
}
conf=/nonexistent/mmlspark.conf
export MMLSPARK_LOG=error

out=$(MML_PACKAGE="org.example:hello:1.0" MML_M2REPOS="file:///repo" "$env_bin" 2>/dev/null)
check print_exits_0 0 $?
eval "$out"
[ "$MML_PACKAGE" = "org.example:hello:1.0" ] && [ "$MML_M2REPOS" = "file:///repo" ]
check eval_of_output_sets_the_variables 0 $?

got=$(MML_PACKAGE=org.example:hello:2.0 "$env_bin" -- sh -c 'printf %s "$MML_PACKAGE"')
[ "$got" = "org.example:hello:2.0" ]
check exec_runs_the_command_in_the_environment 0 $?

"$env_bin" -- sh -c 'exit 7'
check exec_passes_the_exit_code_on 7 $?

err=$(MML_PACKAGE="no spaces allowed" "$env_bin" 2>&1 -- true)
check invalid_package_exits_64 64 $?
[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && printf '%s' "$err" | grep -q "MML_PACKAGE='no spaces allowed' is invalid: expected"
check invalid_package_is_one_line_naming_the_variable 0 $?

"$env_bin" -- /nonexistent/command 2>/dev/null
check missing_command_exits_127 127 $?
"$env_bin" -- /dev/null 2>/dev/null
check non_executable_command_exits_126 126 $?
"$env_bin" --config "$conf" 2>/dev/null
check missing_required_config_exits_78 78 $?
"$env_bin" --bogus 2>/dev/null
check unknown_option_exits_64 64 $?

# --auth-secret: the secret on stdout only; a bad setting is one error line, exit 64.
secret_file=$(mktemp)
printf 's3cr3t\n' >"$secret_file"
got=$(SPARK_AUTH_SECRET_FILE=$secret_file "$env_bin" --auth-secret 2>&1)
check auth_secret_prints_the_files_secret 0 $?
[ "$got" = s3cr3t ]
check auth_secret_is_the_file_without_its_newline 0 $?
got=$(env -u SPARK_AUTH_SECRET -u SPARK_AUTH_SECRET_FILE "$env_bin" --auth-secret 2>&1)
check auth_secret_without_a_secret_exits_0 0 $?
[ -z "$got" ]
check auth_secret_without_a_secret_prints_nothing 0 $?
err=$(SPARK_AUTH_SECRET=s3cr3t SPARK_AUTH_SECRET_FILE=$secret_file "$env_bin" --auth-secret 2>&1 >/dev/null)
check auth_secret_and_file_both_set_exits_64 64 $?
[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && printf '%s' "$err" | grep -q "both set" \
  && ! printf '%s' "$err" | grep -q s3cr3t
check auth_both_set_is_one_line_without_the_secret 0 $?
: >"$secret_file"
SPARK_AUTH_SECRET_FILE=$secret_file "$env_bin" --auth-secret >/dev/null 2>&1
check auth_secret_empty_file_exits_64 64 $?
rm -f "$secret_file"
SPARK_AUTH_SECRET_FILE=$secret_file "$env_bin" --auth-secret >/dev/null 2>&1
check auth_secret_missing_file_exits_64 64 $?
[ $fails -eq 0 ]

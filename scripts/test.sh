#!/usr/bin/env bash
# THE test command: ./scripts/test.sh [pytest arguments]
#
# 1. Creates .venv if missing and installs the package with its dev tools
#    (skipped when pyproject.toml has not changed since the last install).
# 2. Makes sure the test databases are reachable (scripts/check_services.py):
#      PostgreSQL  SYNCLINE_TEST_PG_HOST:SYNCLINE_TEST_PG_PORT        (127.0.0.1:5432)
#                  user SYNCLINE_TEST_PG_USER (postgres), database SYNCLINE_TEST_PG_DATABASE (test)
#      MariaDB     SYNCLINE_TEST_MYSQL_HOST:SYNCLINE_TEST_MYSQL_PORT  (127.0.0.1:3306)
#                  user SYNCLINE_TEST_MYSQL_USER (root), database SYNCLINE_TEST_MYSQL_DATABASE (test)
#    both with an empty password. When one is not and the script runs as root
#    on a machine with apt-get, it installs, starts and configures the local
#    server (scripts/provision_services.sh), then waits up to
#    SYNCLINE_SERVICE_TIMEOUT seconds (60). Otherwise it stops and says how to
#    start them. SYNCLINE_NO_INSTALL=1 forbids installing or starting anything.
# 3. Makes sure `node` and `npm` exist for the TypeScript SDK test: when one is
#    missing it installs Debian's nodejs/npm the same way (root, apt-get, not
#    SYNCLINE_NO_INSTALL=1), else warns. The test runs `npm ci` itself.
# 4. Makes sure Chromium exists for the browser tests (tests/ui/, Playwright):
#    SYNCLINE_CHROMIUM, default /usr/bin/chromium. When /usr/bin/chromium is the
#    one missing it installs Debian's chromium and fonts-liberation the same way
#    (root, apt-get, not SYNCLINE_NO_INSTALL=1), else warns. No browser is ever
#    downloaded (never `playwright install`).
# 5. Runs, stopping at the first failure: ruff check, ruff format --check,
#    mypy (strict, configured in pyproject.toml), pytest "$@". Failed browser
#    tests leave a screenshot and a Playwright trace under test-artifacts/.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

ensure_venv dev

header "Checking the test databases"
services_help() {
    cat >&2 <<'HELP'

The tests need PostgreSQL and MariaDB. Start them, for example on Debian/Ubuntu as root:

    apt-get update && apt-get install -y postgresql mariadb-server
    pg_ctlcluster --skip-systemctl-redirect <version> main start
        (pg_hba.conf: "host all postgres 127.0.0.1/32 trust"; createdb test)
    service mariadb start
        (or: start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql)
        (root must log in over TCP with an empty password; CREATE DATABASE test)

or run ./scripts/test.sh as root on a machine with apt-get and it does this itself.
To use servers elsewhere, set SYNCLINE_TEST_PG_HOST, SYNCLINE_TEST_PG_PORT,
SYNCLINE_TEST_PG_USER, SYNCLINE_TEST_PG_DATABASE and SYNCLINE_TEST_MYSQL_HOST,
SYNCLINE_TEST_MYSQL_PORT, SYNCLINE_TEST_MYSQL_USER, SYNCLINE_TEST_MYSQL_DATABASE.
HELP
}

may_provision() {
    [[ "${SYNCLINE_NO_INSTALL:-}" != "1" ]] && [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null
}

if ! missing="$("$VENV/bin/python" scripts/check_services.py)"; then
    if ! may_provision; then
        if [[ "${SYNCLINE_NO_INSTALL:-}" == "1" ]]; then
            printf 'Not installing or starting anything: SYNCLINE_NO_INSTALL=1.\n' >&2
        else
            printf 'Not installing or starting anything: that needs root and apt-get.\n' >&2
        fi
        services_help
        exit 1
    fi
    header "Provisioning: $missing"
    # shellcheck disable=SC2086  # one word per service
    if ! scripts/provision_services.sh $missing; then
        printf 'error: provisioning failed (see above).\n' >&2
        services_help
        exit 1
    fi
    if ! "$VENV/bin/python" scripts/check_services.py --wait "${SYNCLINE_SERVICE_TIMEOUT:-60}" >/dev/null; then
        services_help
        exit 1
    fi
fi

header "Checking Node and npm (the TypeScript SDK test)"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    if may_provision; then
        scripts/provision_services.sh node || die "installing Node and npm failed (see above)"
    else
        if [[ "${SYNCLINE_NO_INSTALL:-}" == "1" ]]; then
            reason="SYNCLINE_NO_INSTALL=1"
        else
            reason="that needs root and apt-get"
        fi
        printf 'warning: node or npm is missing and was not installed (%s);\n' "$reason" >&2
        printf '         tests/e2e/test_typescript_sdk.py will fail. Install them: apt-get install nodejs npm\n' >&2
    fi
fi

header "Checking Chromium (the browser tests)"
chromium="${SYNCLINE_CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
    if [[ "$chromium" == /usr/bin/chromium ]] && may_provision; then
        scripts/provision_services.sh chromium || die "installing Chromium failed (see above)"
    else
        if [[ "$chromium" != /usr/bin/chromium ]]; then
            reason="SYNCLINE_CHROMIUM names it; install that browser there or unset SYNCLINE_CHROMIUM"
        elif [[ "${SYNCLINE_NO_INSTALL:-}" == "1" ]]; then
            reason="SYNCLINE_NO_INSTALL=1"
        else
            reason="that needs root and apt-get"
        fi
        printf 'warning: no Chromium at %s and none was installed (%s);\n' "$chromium" "$reason" >&2
        printf '         the tests in tests/ui/ will fail. Install it: apt-get install chromium fonts-liberation\n' >&2
    fi
fi

header "ruff check"
"$VENV/bin/ruff" check src tests

header "ruff format --check"
"$VENV/bin/ruff" format --check src tests

header "mypy"
"$VENV/bin/mypy"

header "pytest"
set +e
"$VENV/bin/pytest" "$@"
status=$?
set -e
if [[ $status -eq 5 ]]; then
    printf 'error: pytest collected no tests (exit code 5); check the arguments: %s\n' "$*" >&2
fi
exit $status

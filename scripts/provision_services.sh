#!/usr/bin/env bash
# Install, start and configure what the test suite needs locally (databases, Node,
# Chromium) on Debian/Ubuntu, as root.
#
# Usage: scripts/provision_services.sh [postgresql] [mariadb] [node] [chromium]
#
# scripts/test.sh calls this for the services scripts/check_services.py found
# unusable and for Node or Chromium when missing, only as root with apt-get and
# without SYNCLINE_NO_INSTALL=1. Each step is idempotent and runs only when
# needed:
#   PostgreSQL: apt-get install postgresql; start the cluster listening on
#     SYNCLINE_TEST_PG_PORT (pg_ctlcluster --skip-systemctl-redirect); trust
#     SYNCLINE_TEST_PG_USER from 127.0.0.1 and ::1 in pg_hba.conf; create that
#     role and database SYNCLINE_TEST_PG_DATABASE if missing.
#   MariaDB: apt-get install mariadb-server; start it (service mariadb start,
#     else start-stop-daemon); create SYNCLINE_TEST_MYSQL_USER@127.0.0.1 with an
#     empty password and database SYNCLINE_TEST_MYSQL_DATABASE if missing. Only
#     on a server this script installed does it also give root@localhost an
#     empty password (alongside unix_socket), since an existing server's
#     accounts are not ours to change.
#   Node: apt-get install nodejs and/or npm, whichever command is missing.
#   Chromium: apt-get install --no-install-recommends chromium and
#     fonts-liberation, whichever is missing.
# Servers on other hosts are left alone.
set -euo pipefail

PG_HOST="${SYNCLINE_TEST_PG_HOST:-127.0.0.1}"
PG_PORT="${SYNCLINE_TEST_PG_PORT:-5432}"
PG_USER="${SYNCLINE_TEST_PG_USER:-postgres}"
PG_DATABASE="${SYNCLINE_TEST_PG_DATABASE:-test}"
MYSQL_HOST="${SYNCLINE_TEST_MYSQL_HOST:-127.0.0.1}"
MYSQL_PORT="${SYNCLINE_TEST_MYSQL_PORT:-3306}"
MYSQL_USER="${SYNCLINE_TEST_MYSQL_USER:-root}"
MYSQL_DATABASE="${SYNCLINE_TEST_MYSQL_DATABASE:-test}"

say() {
    printf '    %s\n' "$*"
}

fail() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

is_local() {
    case "$1" in
        127.0.0.1 | localhost | ::1) return 0 ;;
        *) return 1 ;;
    esac
}

# Names are pasted into SQL below, so only plain identifiers are accepted.
require_identifier() {
    [[ "$2" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || fail "$1=$2 is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*)"
}

APT_UPDATED=""
apt_install() {
    if [[ -z "$APT_UPDATED" ]]; then
        say "apt-get update"
        apt-get update -qq
        APT_UPDATED=1
    fi
    say "apt-get install -y $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wait_for() {
    local what="$1" seconds="$2"
    shift 2
    for ((i = 0; i < seconds; i++)); do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 1
    done
    fail "$what did not come up within $seconds seconds"
}

# ------------------------------------------------------------------ PostgreSQL

pg_admin() {
    runuser -u postgres -- psql -p "$PG_PORT" -X -A -t -q -v ON_ERROR_STOP=1 -d postgres "$@"
}

provision_postgresql() {
    require_identifier SYNCLINE_TEST_PG_USER "$PG_USER"
    require_identifier SYNCLINE_TEST_PG_DATABASE "$PG_DATABASE"
    if ! command -v pg_lsclusters >/dev/null || ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
        apt_install postgresql
    fi
    local version cluster status
    if ! read -r version cluster _ status _ < <(pg_lsclusters --no-header | awk -v port="$PG_PORT" '$3 == port'); then
        if [[ -n "$(pg_lsclusters --no-header)" ]]; then
            fail "no PostgreSQL cluster listens on port $PG_PORT (see pg_lsclusters); set SYNCLINE_TEST_PG_PORT"
        fi
        version="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)"
        cluster=main
        say "pg_createcluster $version $cluster --port $PG_PORT"
        pg_createcluster "$version" "$cluster" --port "$PG_PORT" >/dev/null
        status=down
    fi

    local hba="/etc/postgresql/$version/$cluster/pg_hba.conf"
    if ! grep -Eq "^host[[:space:]]+all[[:space:]]+${PG_USER}[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust" "$hba"; then
        say "trusting $PG_USER from 127.0.0.1 and ::1 in $hba"
        # pg_hba.conf is first-match, so the lines go on top.
        local original
        original="$(cat "$hba")"
        {
            printf '# Added by syncline scripts/provision_services.sh for the test suite\n'
            printf 'host all %s 127.0.0.1/32 trust\n' "$PG_USER"
            printf 'host all %s ::1/128 trust\n' "$PG_USER"
            printf '%s\n' "$original"
        } >"$hba"
    fi

    if [[ "$status" == online* ]]; then
        say "pg_ctlcluster $version $cluster reload"
        pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" reload
    else
        say "pg_ctlcluster --skip-systemctl-redirect $version $cluster start"
        pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start
    fi
    wait_for "PostgreSQL $version/$cluster" 30 pg_admin -c "SELECT 1"

    if [[ "$(pg_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'")" != 1 ]]; then
        say "CREATE ROLE $PG_USER"
        pg_admin -c "CREATE ROLE \"$PG_USER\" LOGIN SUPERUSER"
    fi
    if [[ "$(pg_admin -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'")" != 1 ]]; then
        say "CREATE DATABASE $PG_DATABASE"
        pg_admin -c "CREATE DATABASE \"$PG_DATABASE\" OWNER \"$PG_USER\""
    fi
}

# ------------------------------------------------------------------ MariaDB

mariadb_admin() {
    local client=mariadb
    command -v mariadb >/dev/null || client=mysql
    "$client" --protocol=socket -uroot "$@"
}

start_mariadb() {
    if command -v service >/dev/null && [[ -x /etc/init.d/mariadb ]]; then
        say "service mariadb start"
        service mariadb start >/dev/null
    elif command -v service >/dev/null && [[ -x /etc/init.d/mysql ]]; then
        say "service mysql start"
        service mysql start >/dev/null
    else
        say "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"
        install -d -o mysql -g mysql /run/mysqld
        start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
    fi
}

provision_mariadb() {
    require_identifier SYNCLINE_TEST_MYSQL_USER "$MYSQL_USER"
    require_identifier SYNCLINE_TEST_MYSQL_DATABASE "$MYSQL_DATABASE"
    local installed=""
    if [[ ! -x /usr/sbin/mariadbd ]]; then
        apt_install mariadb-server
        installed=1
    fi
    if ! mariadb_admin -e "SELECT 1" >/dev/null 2>&1; then
        start_mariadb
    fi
    wait_for "MariaDB" 30 mariadb_admin -e "SELECT 1"
    local port
    port="$(mariadb_admin -N -B -e "SELECT @@port")"
    if [[ "$port" != "$MYSQL_PORT" ]]; then
        fail "MariaDB listens on port $port, not $MYSQL_PORT; set SYNCLINE_TEST_MYSQL_PORT=$port"
    fi
    say "ensuring $MYSQL_USER@127.0.0.1 (empty password) and database $MYSQL_DATABASE"
    mariadb_admin <<SQL
CREATE USER IF NOT EXISTS '$MYSQL_USER'@'127.0.0.1' IDENTIFIED BY '';
GRANT ALL PRIVILEGES ON *.* TO '$MYSQL_USER'@'127.0.0.1' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;
SQL
    if [[ -n "$installed" && "$MYSQL_USER" == root ]]; then
        # Without skip-name-resolve a TCP client on 127.0.0.1 may be matched
        # as root@localhost, which a fresh install gives only unix_socket.
        say "letting root@localhost log in with an empty password too (fresh install)"
        mariadb_admin -e \
            "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('')"
    fi
}

# ------------------------------------------------------------------ Node

# tests/e2e/test_typescript_sdk.py runs the TypeScript SDK on Node; npm installs
# the SDK from tests/e2e/ts/package-lock.json.
provision_node() {
    local packages=()
    command -v node >/dev/null || packages+=(nodejs)
    command -v npm >/dev/null || packages+=(npm)
    if [[ ${#packages[@]} -eq 0 ]]; then
        say "node and npm are installed"
        return 0
    fi
    apt_install "${packages[@]}"
    command -v node >/dev/null || fail "node is still missing after installing ${packages[*]}"
    command -v npm >/dev/null || fail "npm is still missing after installing ${packages[*]}"
}

# ------------------------------------------------------------------ Chromium

# The browser tests (tests/ui/) drive Debian's chromium through Playwright; no
# browser is downloaded. Its recommends (upower, udev, Mesa, a notification
# daemon, printer settings) are for a desktop and a headless browser needs
# none of them, except the fonts: the Liberation fonts (metric-compatible with
# Arial, Times and Courier) are what pages render their text with.
provision_chromium() {
    local packages=()
    [[ -x /usr/bin/chromium ]] || packages+=(chromium)
    [[ "$(dpkg-query -W -f='${Status}' fonts-liberation 2>/dev/null)" == "install ok installed" ]] ||
        packages+=(fonts-liberation)
    if [[ ${#packages[@]} -eq 0 ]]; then
        say "chromium and fonts-liberation are installed"
        return 0
    fi
    apt_install --no-install-recommends "${packages[@]}"
    [[ -x /usr/bin/chromium ]] || fail "/usr/bin/chromium is still missing after installing ${packages[*]}"
    say "$(/usr/bin/chromium --version 2>/dev/null || printf 'chromium installed')"
}

for service in "$@"; do
    case "$service" in
        postgresql)
            if is_local "$PG_HOST"; then provision_postgresql; else say "PostgreSQL at $PG_HOST is not local; leaving it alone"; fi
            ;;
        mariadb)
            if is_local "$MYSQL_HOST"; then provision_mariadb; else say "MariaDB at $MYSQL_HOST is not local; leaving it alone"; fi
            ;;
        node) provision_node ;;
        chromium) provision_chromium ;;
        *) fail "unknown service $service (known: postgresql, mariadb, node, chromium)" ;;
    esac
done

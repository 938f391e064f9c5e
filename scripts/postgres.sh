#!/usr/bin/env bash
# Private PostgreSQL cluster for running and testing the ConPaaS Director.
#
# Usage: scripts/postgres.sh start|stop|status|url|psql [args]|createdb [NAME]
#
#   start        initialise (first time) and start the cluster; idempotent.
#                Also makes sure the default database (see below) exists.
#   stop         fast shutdown; idempotent.
#   status       one line; exit 0 when running, 3 when not.
#   url          Npgsql connection string on stdout (the only stdout output):
#                  Host=127.0.0.1;Port=P;Username=postgres;Password=...;Database=D
#   psql [args]  psql over TCP as postgres (PGPASSWORD set); args are passed on,
#                so -d / -c / a positional database name work as usual.
#   createdb [NAME]  create a database unless it exists (default: D).
#
# Environment:
#   CONPAAS_PG_PORT      TCP port on 127.0.0.1 (default 55432)
#   CONPAAS_PG_HOME      cluster folder (default: root -> /var/lib/conpaas-director/
#                        postgres-PORT, others -> REPO/.data/postgres-PORT)
#   CONPAAS_PG_DATABASE  default database D (default conpaas)
#
# Layout of the cluster folder (HOME_DIR):
#   data/        PGDATA                 run/      unix socket (0700)
#   server.log   server log             password  superuser password (0600,
#                                                  readable by the invoking user only)
#
# The server listens on 127.0.0.1 only, plus a unix socket inside HOME_DIR/run
# (never /var/run/postgresql, so it cannot clash with a system cluster).
# All messages go to stderr; only `url` (and psql's own output) use stdout.
set -euo pipefail

readonly PG_SUPERUSER=postgres
readonly OS_PG_USER=postgres            # OS account that runs the server when we are root

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$SCRIPT_DIR/.." && pwd -P)
PORT=${CONPAAS_PG_PORT:-55432}
DATABASE=${CONPAAS_PG_DATABASE:-conpaas}

if [[ ! $PORT =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then
    echo "postgres.sh: CONPAAS_PG_PORT must be a TCP port number, got '$PORT'" >&2
    exit 2
fi

IS_ROOT=0
[[ $(id -u) -eq 0 ]] && IS_ROOT=1

if [[ -n ${CONPAAS_PG_HOME:-} ]]; then
    HOME_DIR=$CONPAAS_PG_HOME
elif ((IS_ROOT)); then
    HOME_DIR=/var/lib/conpaas-director/postgres-$PORT
else
    HOME_DIR=$REPO/.data/postgres-$PORT
fi
# Make it absolute without requiring it to exist yet.
[[ $HOME_DIR == /* ]] || HOME_DIR=$PWD/$HOME_DIR
HOME_DIR=${HOME_DIR%/}

DATA_DIR=$HOME_DIR/data
RUN_DIR=$HOME_DIR/run
LOG_FILE=$HOME_DIR/server.log
PW_FILE=$HOME_DIR/password
CONF_INCLUDE=conpaas.conf               # lives in DATA_DIR, rewritten on every start
BIN=""

# ---------------------------------------------------------------- helpers

msg() { echo "postgres.sh: $*" >&2; }
die() {
    msg "error: $*"
    exit 1
}

# Run a command as the OS user that owns the cluster. As root that is the
# `postgres` account (initdb and postgres refuse to run as root); otherwise it
# is the current user. We cd to / first: root's cwd (e.g. /root) is usually not
# accessible to `postgres`, and pg_ctl/initdb complain about that.
as_owner() {
    if ((IS_ROOT)); then
        if command -v runuser >/dev/null 2>&1; then
            (cd / && runuser -u "$OS_PG_USER" -- "$@")
        else
            local cmd
            printf -v cmd '%q ' "$@"
            (cd / && su "$OS_PG_USER" -s /bin/sh -c "$cmd")
        fi
    else
        "$@"
    fi
}

# Locate the server binaries (newest /usr/lib/postgresql/*/bin with initdb,
# else pg_config --bindir). If the cluster already exists, prefer the major
# version that created it: a newer server cannot open an older data folder.
find_bin() {
    BIN=""
    local d ver
    if [[ -r $DATA_DIR/PG_VERSION ]]; then
        ver=$(<"$DATA_DIR/PG_VERSION")
        d=/usr/lib/postgresql/$ver/bin
        if [[ -x $d/initdb && -x $d/postgres ]]; then
            BIN=$d
            return 0
        fi
    fi
    local newest=""
    while IFS= read -r d; do
        [[ -x $d/initdb ]] && newest=$d
    done < <(compgen -G '/usr/lib/postgresql/*/bin' | sort -V)
    if [[ -n $newest ]]; then
        BIN=$newest
    elif command -v pg_config >/dev/null 2>&1; then
        d=$(pg_config --bindir 2>/dev/null || true)
        [[ -n $d && -x $d/initdb ]] && BIN=$d
    fi
    [[ -n $BIN ]]
}

install_server() {
    local install_hint="install the PostgreSQL server, e.g. 'sudo apt-get install -y postgresql' (Debian/Ubuntu), so that /usr/lib/postgresql/<version>/bin/initdb exists"
    command -v apt-get >/dev/null 2>&1 || die "PostgreSQL server binaries not found and apt-get is unavailable; $install_hint"
    if ((IS_ROOT)); then
        msg "PostgreSQL server binaries not found; installing Debian package 'postgresql'..."
        if ! { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2; }; then
            die "apt-get install postgresql failed"
        fi
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        msg "PostgreSQL server binaries not found; installing Debian package 'postgresql' with sudo..."
        if ! { sudo -n apt-get update >&2 && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2; }; then
            die "sudo apt-get install postgresql failed"
        fi
    else
        die "PostgreSQL server binaries not found and no root/passwordless sudo to install them; $install_hint"
    fi
    # Note: the Debian package may create and start a system cluster on port
    # 5432. We do not use it, and we leave it alone.
}

require_bin() {
    find_bin && return 0
    install_server
    find_bin || die "PostgreSQL installed but no initdb found under /usr/lib/postgresql/*/bin"
}

# Client tools: from BIN when known, else whatever is on PATH.
client() {
    local tool=$1
    if [[ -z $BIN ]]; then find_bin || true; fi
    if [[ -n $BIN && -x $BIN/$tool ]]; then
        echo "$BIN/$tool"
    elif command -v "$tool" >/dev/null 2>&1; then
        command -v "$tool"
    else
        die "'$tool' not found; run '$0 start' first (it installs PostgreSQL) or install postgresql-client"
    fi
}

# Echo the PID of the live postmaster that serves DATA_DIR; return 1 if none.
# A postmaster.pid whose PID is dead, or belongs to some other program (PID
# reuse after a crash or reboot), is stale: with remove_stale=1 it is deleted.
postmaster_pid() {
    local remove_stale=${1:-0}
    local pidfile=$DATA_DIR/postmaster.pid pid comm cwd real_data stat state
    [[ -f $pidfile ]] || return 1
    pid=$(head -n 1 "$pidfile" 2>/dev/null || true)
    pid=${pid#-}                        # single-user mode writes -PID
    if [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/comm ]]; then
        comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
        # A killed postmaster is re-parented and may linger as a zombie until
        # PID 1 reaps it (kill -0 still succeeds on zombies): that is dead.
        stat=$(cat "/proc/$pid/stat" 2>/dev/null || true)
        state=${stat##*) }
        state=${state:0:1}
        if [[ $comm == postgres || $comm == postmaster ]] && [[ -n $state && $state != [ZX] ]]; then
            real_data=$(cd "$DATA_DIR" 2>/dev/null && pwd -P) || real_data=$DATA_DIR
            if cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null); then
                # The postmaster chdirs into its data folder.
                if [[ $cwd == "$real_data" ]]; then
                    echo "$pid"
                    return 0
                fi
            else
                # A postgres process we cannot inspect: err on the safe side
                # (removing the pid file of a live server risks corruption).
                echo "$pid"
                return 0
            fi
        fi
    fi
    if ((remove_stale)); then
        msg "removing stale $pidfile (PID ${pid:-?} is not a running postmaster for this cluster)"
        rm -f -- "$pidfile"
    fi
    return 1
}

# Port recorded in postmaster.pid (4th line) of the running cluster.
running_port() { sed -n 4p "$DATA_DIR/postmaster.pid" 2>/dev/null || true; }

# PIDs of leftover postgres processes of this cluster (children of a postmaster
# that was killed); they keep the old shared memory attached and block a restart.
orphan_pids() {
    local real_data p pid
    real_data=$(cd "$DATA_DIR" 2>/dev/null && pwd -P) || return 0
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        [[ $(cat "$p/comm" 2>/dev/null || true) == postgres ]] || continue
        [[ $(readlink "$p/cwd" 2>/dev/null || true) == "$real_data" ]] || continue
        echo "$pid"
    done
}

port_in_use() { (: <>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

describe_port_user() {
    command -v ss >/dev/null 2>&1 || return 0
    ss -Hltnp "sport = :$PORT" 2>/dev/null | sed 's/^/    /' >&2 || true
}

read_password() {
    [[ -r $PW_FILE ]] || die "no readable password file $PW_FILE; run '$0 start' first"
    local pw
    pw=$(head -n 1 "$PW_FILE")
    [[ -n $pw ]] || die "password file $PW_FILE is empty"
    printf '%s' "$pw"
}

new_password() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

# Serialise start/stop/createdb per cluster (parallel test hosts may all call
# `start`). The lock fd must not leak into the postmaster (see start_server).
take_lock() {
    command -v flock >/dev/null 2>&1 || return 0
    (umask 077 && : >>"$HOME_DIR/.lock")
    exec 9>>"$HOME_DIR/.lock"
    flock -w 120 9 || die "timed out waiting for lock $HOME_DIR/.lock"
}

# Create HOME_DIR with the right owner/permissions.
prepare_home() {
    if ((IS_ROOT)); then
        if ! id -u "$OS_PG_USER" >/dev/null 2>&1; then
            msg "creating system user '$OS_PG_USER'"
            useradd --system --user-group --no-create-home --home-dir /var/lib/postgresql \
                --shell /bin/bash --comment "PostgreSQL administrator" "$OS_PG_USER" ||
                die "could not create OS user '$OS_PG_USER'"
        fi
        if [[ -z ${CONPAAS_PG_HOME:-} ]]; then
            mkdir -p /var/lib/conpaas-director
            chmod 0755 /var/lib/conpaas-director   # postgres must traverse it
        fi
    fi
    mkdir -p -- "$HOME_DIR"
    chmod 0700 -- "$HOME_DIR"
    if ((IS_ROOT)); then
        chown "$OS_PG_USER:" -- "$HOME_DIR"
        [[ -e $LOG_FILE ]] && chown "$OS_PG_USER:" -- "$LOG_FILE"
        as_owner test -w "$HOME_DIR" ||
            die "OS user '$OS_PG_USER' cannot reach $HOME_DIR; every parent folder must be traversable (chmod o+x) — or choose another CONPAAS_PG_HOME"
    else
        [[ -O $HOME_DIR ]] || die "$HOME_DIR is not owned by $(id -un)"
    fi
}

# Replace FILE with stdin, owned by the cluster owner, mode 0600.
write_owned() {
    local file=$1
    (umask 077 && cat >"$file.tmp")
    ((IS_ROOT)) && chown "$OS_PG_USER:" -- "$file.tmp"
    mv -f -- "$file.tmp" "$file"
}

# Pick the initdb locale: C.UTF-8 when the system has it, else --no-locale.
locale_args() {
    if command -v locale >/dev/null 2>&1 && locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
        echo "--locale=C.UTF-8"
    else
        echo "--no-locale"
    fi
}

init_cluster() {
    if [[ -f $DATA_DIR/PG_VERSION ]]; then
        [[ -s $PW_FILE ]] || msg "warning: $PW_FILE is missing; a new superuser password will be set after start"
        return 0
    fi
    if [[ -d $DATA_DIR ]] && [[ -n $(ls -A -- "$DATA_DIR" 2>/dev/null) ]]; then
        die "$DATA_DIR exists, is not empty and is not a PostgreSQL cluster; move it away"
    fi

    local pw tmp_pw loc
    pw=$(new_password)
    [[ ${#pw} -eq 32 ]] || die "could not generate a password from /dev/urandom"
    loc=$(locale_args)
    # The password file stays readable by the invoking user only (root:root
    # 0600 as root). initdb runs as the cluster owner, so it gets a temporary
    # copy that is removed right after.
    tmp_pw=$HOME_DIR/.initdb-pw
    (umask 077 && printf '%s\n' "$pw" >"$tmp_pw")
    ((IS_ROOT)) && chown "$OS_PG_USER:" -- "$tmp_pw"

    # Authentication:
    #  * TCP (host lines): scram-sha-256 with the generated superuser password.
    #  * unix socket (local lines): the socket lives in HOME_DIR/run, mode 0700,
    #    inside HOME_DIR (0700), so only the cluster owner and root can reach
    #    it at all. As root the owner is the `postgres` OS account, which peer
    #    auth maps to the `postgres` role, so we use peer. As an ordinary user,
    #    peer cannot work (OS user alice != role postgres) and initdb cannot set
    #    up an ident map, so we use trust on the socket only: the folder
    #    permissions already limit it to the same user who owns the data files.
    local auth_local=trust
    ((IS_ROOT)) && auth_local=peer

    msg "initialising cluster in $DATA_DIR ($BIN, $loc)"
    mkdir -p -- "$DATA_DIR"
    chmod 0700 -- "$DATA_DIR"
    ((IS_ROOT)) && chown "$OS_PG_USER:" -- "$DATA_DIR"
    # shellcheck disable=SC2086  # $loc is a single word
    if ! as_owner "$BIN/initdb" -D "$DATA_DIR" -U "$PG_SUPERUSER" --pwfile="$tmp_pw" \
        --auth-host=scram-sha-256 --auth-local="$auth_local" \
        --encoding=UTF8 $loc >>"$LOG_FILE" 2>&1; then
        rm -f -- "$tmp_pw"
        tail -n 30 "$LOG_FILE" >&2 || true
        die "initdb failed (full output in $LOG_FILE)"
    fi
    rm -f -- "$tmp_pw"
    (umask 077 && printf '%s\n' "$pw" >"$PW_FILE.new") && mv -f -- "$PW_FILE.new" "$PW_FILE"
    chmod 0600 -- "$PW_FILE"
    # Include our settings file (rewritten on each start) from postgresql.conf.
    # (Appending keeps the file's owner.)
    printf "\n# Added by ConPaaS scripts/postgres.sh\ninclude_if_exists = '%s'\n" "$CONF_INCLUDE" \
        >>"$DATA_DIR/postgresql.conf"
}

# Server settings for a dev/test box, rewritten on every start so that the
# port and socket folder always match the current invocation.
write_settings() {
    local socket_dirs=$RUN_DIR
    # Unix socket paths are limited to 107 bytes; with a very deep HOME_DIR
    # we drop the socket (everything this script does goes over TCP anyway).
    if ((${#RUN_DIR} + ${#PORT} + 10 > 107)); then
        msg "warning: $RUN_DIR is too long for a unix socket path; unix socket disabled"
        socket_dirs=""
    fi
    as_owner mkdir -p -- "$RUN_DIR"
    as_owner chmod 0700 -- "$RUN_DIR"
    write_owned "$DATA_DIR/$CONF_INCLUDE" <<EOF
# Written by ConPaaS scripts/postgres.sh on every start; edits are overwritten.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$socket_dirs'
unix_socket_permissions = 0700
max_connections = 300
shared_buffers = 256MB
fsync = on
EOF
}

wait_ready() {
    local isready i
    isready=$(client pg_isready)
    for ((i = 0; i < 120; i++)); do
        "$isready" -q -h 127.0.0.1 -p "$PORT" -U "$PG_SUPERUSER" -t 2 && return 0
        postmaster_pid >/dev/null || return 1
        sleep 0.5
    done
    return 1
}

fail_with_log() {
    msg "last lines of $LOG_FILE:"
    tail -n 30 "$LOG_FILE" >&2 2>/dev/null || true
    die "$*"
}

# Run SQL over TCP as the superuser. Args are passed to psql.
sql() {
    local pw psql_bin
    pw=$(read_password)
    psql_bin=$(client psql)
    PGPASSWORD=$pw PGCONNECT_TIMEOUT=10 "$psql_bin" -X -q -v ON_ERROR_STOP=1 \
        -h 127.0.0.1 -p "$PORT" -U "$PG_SUPERUSER" -d postgres "$@"
}

# If the password file was lost, set a fresh password via the unix socket
# (peer/trust auth there) and write it out.
recover_password() {
    [[ -s $PW_FILE ]] && return 0
    msg "setting a new superuser password (password file was missing)"
    local pw
    pw=$(new_password)
    printf "ALTER ROLE %s PASSWORD '%s';\n" "$PG_SUPERUSER" "$pw" |
        as_owner "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN_DIR" -p "$PORT" -U "$PG_SUPERUSER" -d postgres ||
        die "could not reset the superuser password over the unix socket"
    (umask 077 && printf '%s\n' "$pw" >"$PW_FILE.new") && mv -f -- "$PW_FILE.new" "$PW_FILE"
    chmod 0600 -- "$PW_FILE"
}

create_database() {
    local name=$1
    [[ -n $name ]] || die "database name must not be empty"
    local out
    # psql variables give correct quoting of the name both as a literal and
    # as an identifier. A parallel CREATE may win the race: re-check then.
    if ! out=$(sql -v "name=$name" 2>&1 <<'SQL'
SELECT NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'name') AS need_create \gset
\if :need_create
CREATE DATABASE :"name";
\echo created
\endif
SQL
    ); then
        if [[ $(sql -tA -v "name=$name" <<<"SELECT count(*) FROM pg_database WHERE datname = :'name';" 2>/dev/null) == 1 ]]; then
            out=""
        else
            printf '%s\n' "$out" >&2
            die "could not create database '$name'"
        fi
    fi
    if [[ $out == *created* ]]; then
        msg "created database '$name'"
    else
        msg "database '$name' already exists"
    fi
}

# ---------------------------------------------------------------- commands

cmd_start() {
    umask 077                           # everything we create is private
    require_bin
    prepare_home
    take_lock

    local pid rport
    if pid=$(postmaster_pid 1); then
        rport=$(running_port)
        if [[ -n $rport && $rport != "$PORT" ]]; then
            die "cluster $DATA_DIR is already running on port $rport (pid $pid), not $PORT; stop it first"
        fi
        wait_ready || fail_with_log "PostgreSQL (pid $pid) is running but not accepting connections on 127.0.0.1:$PORT"
        recover_password
        (create_database "$DATABASE") 2>/dev/null || true
        msg "PostgreSQL already running on 127.0.0.1:$PORT"
        return 0
    fi

    if port_in_use; then
        msg "error: port $PORT on 127.0.0.1 is already in use by another program (not the cluster in $DATA_DIR):"
        describe_port_user
        die "stop that program or choose another port with CONPAAS_PG_PORT=..."
    fi

    init_cluster
    # Children of a postmaster that was killed (kill -9) keep the old shared
    # memory attached, and postgres refuses to start until they are gone. They
    # normally exit within milliseconds; give them time, then SIGQUIT them
    # (their postmaster is dead, so they serve nobody).
    local orphans i
    for ((i = 0; i < 50; i++)); do
        orphans=$(orphan_pids)
        [[ -z $orphans ]] && break
        if ((i == 20)); then
            msg "terminating leftover processes of the dead server: $(echo "$orphans" | tr '\n' ' ')"
            # shellcheck disable=SC2086
            kill -QUIT $orphans 2>/dev/null || true
        fi
        sleep 0.2
    done
    [[ -z $(orphan_pids) ]] || die "leftover server processes still running: $(orphan_pids | tr '\n' ' ')"
    # The socket lock file (.s.PGSQL.PORT.lock) of a killed postmaster is
    # stale too. postgres only ignores it once that PID is gone, but the dead
    # postmaster can linger as a zombie for a while (kill -0 succeeds), and the
    # PID may get reused after a reboot. RUN_DIR belongs to this cluster alone
    # and we verified above that its postmaster is not running, so clear it.
    rm -f -- "$RUN_DIR"/.s.PGSQL.*

    write_settings
    ((IS_ROOT)) && [[ -e $LOG_FILE ]] && chown "$OS_PG_USER:" -- "$LOG_FILE"
    msg "starting PostgreSQL on 127.0.0.1:$PORT (data $DATA_DIR, log $LOG_FILE)"
    # 9>&-: the postmaster must not inherit (and hold forever) our lock fd.
    if ! as_owner "$BIN/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 -s start 9>&- >&2; then
        port_in_use && ! postmaster_pid >/dev/null &&
            fail_with_log "port $PORT on 127.0.0.1 is in use by another program"
        fail_with_log "PostgreSQL failed to start"
    fi
    wait_ready || fail_with_log "PostgreSQL started but does not accept connections on 127.0.0.1:$PORT"
    recover_password
    create_database "$DATABASE"
    msg "PostgreSQL running on 127.0.0.1:$PORT"
}

cmd_stop() {
    [[ -d $HOME_DIR ]] || {
        msg "PostgreSQL not running (no cluster in $HOME_DIR)"
        return 0
    }
    take_lock
    local pid
    if ! pid=$(postmaster_pid 1); then
        msg "PostgreSQL not running on 127.0.0.1:$PORT"
        return 0
    fi
    require_bin
    msg "stopping PostgreSQL (pid $pid)"
    if ! as_owner "$BIN/pg_ctl" -D "$DATA_DIR" -m fast -w -t 120 -s stop >&2; then
        postmaster_pid >/dev/null && fail_with_log "PostgreSQL (pid $pid) did not stop"
    fi
    msg "PostgreSQL stopped"
}

cmd_status() {
    local pid rport
    if [[ -d $HOME_DIR ]] && pid=$(postmaster_pid 0); then
        rport=$(running_port)
        msg "PostgreSQL running on 127.0.0.1:${rport:-$PORT} (pid $pid, data $DATA_DIR)"
        return 0
    fi
    msg "PostgreSQL not running (port $PORT, data $DATA_DIR)"
    return 3
}

cmd_url() {
    local pw
    pw=$(read_password)
    printf 'Host=127.0.0.1;Port=%s;Username=%s;Password=%s;Database=%s\n' \
        "$PORT" "$PG_SUPERUSER" "$pw" "$DATABASE"
}

cmd_psql() {
    local pw psql_bin
    pw=$(read_password)
    psql_bin=$(client psql)
    # Connection defaults via environment so that the caller's -d/-h/-U or a
    # positional database name still take precedence.
    PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=$PG_SUPERUSER PGDATABASE=$DATABASE PGPASSWORD=$pw \
        exec "$psql_bin" "$@"
}

cmd_createdb() {
    (($# <= 1)) || die "usage: $0 createdb [NAME]"
    [[ -d $HOME_DIR ]] || die "no cluster in $HOME_DIR; run '$0 start' first"
    postmaster_pid >/dev/null || die "PostgreSQL is not running on 127.0.0.1:$PORT; run '$0 start' first"
    create_database "${1:-$DATABASE}"
}

usage() {
    cat >&2 <<EOF
Usage: $0 start|stop|status|url|psql [args]|createdb [NAME]
  Private PostgreSQL on 127.0.0.1:\${CONPAAS_PG_PORT:-55432}, cluster in
  $HOME_DIR
EOF
}

main() {
    local cmd=${1:-}
    (($#)) && shift
    case $cmd in
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        status) cmd_status "$@" ;;
        url) cmd_url "$@" ;;
        psql) cmd_psql "$@" ;;
        createdb) cmd_createdb "$@" ;;
        -h | --help | help)
            usage
            ;;
        *)
            usage
            exit 2
            ;;
    esac
}

main "$@"

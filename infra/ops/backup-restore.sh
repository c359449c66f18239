#!/usr/bin/env bash
# Back up and restore an agbotkit PostgreSQL / TimescaleDB database (pg_dump custom format).
#
#   backup-restore.sh backup  [-o DIR]                      dump the database to DIR
#   backup-restore.sh restore [--force] [--no-checksum] DUMP  restore DUMP into the database
#   backup-restore.sh verify  DUMP                          check DUMP without restoring it
#
# The database is named by the environment, never on the command line (command lines end up
# in shell history, process lists and CI logs):
#   AGBOTKIT_DATABASE_URL       postgresql://user@host:port/dbname (required; the variable the
#                               role stacks read too). A password in it works, but give it as:
#   AGBOTKIT_DATABASE_PASSWORD  the password (as the stacks' password_env), or
#   AGBOTKIT_DATABASE_PASSWORD_FILE  a file holding it, or libpq's own PGPASSWORD / PGPASSFILE.
#   BACKUP_COMPRESS             pg_dump compression level, 0-9 (default 6).
#
# backup writes DIR/agbotkit-DBNAME-YYYYmmddTHHMMSSZ.dump and a .sha256 beside it, written
# under a temporary name and renamed once complete and readable.
# restore checks the checksum (unless --no-checksum), refuses a target that already holds
# tables unless --force (which first DROPS the target's public schema, where agbotkit keeps
# its tables: destructive, back the target up first), runs
# TimescaleDB's timescaledb_pre_restore()/timescaledb_post_restore() around the restore when
# the dump has the extension, and ANALYZEs the result. Without TimescaleDB the restore is one
# transaction: a failure leaves the target as it was.
#
# Exit codes: 0 done, 1 failed, 2 usage error.
set -euo pipefail

PROG=${0##*/}

log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PROG" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}
usage() {
	sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

urldecode() {
	local text=${1//+/ }
	printf '%b' "${text//%/\\x}"
}

# Turn AGBOTKIT_DATABASE_URL into libpq's PG* variables, so that no tool gets it as an argument.
load_url() {
	local url=${AGBOTKIT_DATABASE_URL:-}
	[[ -n $url ]] || die "AGBOTKIT_DATABASE_URL is not set (postgresql://user@host:port/dbname)"
	local pattern='^postgres(ql)?://(([^:@/]*)(:([^@/]*))?@)?(\[[^]/]+\]|[^:/?]*)(:([0-9]+))?/([^?]+)(\?(.*))?$'
	[[ $url =~ $pattern ]] || die "AGBOTKIT_DATABASE_URL is not a postgresql://user@host:port/dbname URL"
	local user=${BASH_REMATCH[3]} password=${BASH_REMATCH[5]} host=${BASH_REMATCH[6]}
	local port=${BASH_REMATCH[8]} dbname=${BASH_REMATCH[9]} query=${BASH_REMATCH[11]}
	host=${host#[}
	host=${host%]}
	if [[ -n $user ]]; then
		PGUSER=$(urldecode "$user")
		export PGUSER
	fi
	if [[ -n $password ]]; then
		PGPASSWORD=$(urldecode "$password")
		export PGPASSWORD
	fi
	if [[ -n $host ]]; then
		PGHOST=$(urldecode "$host")
		export PGHOST
	fi
	if [[ -n $port ]]; then
		export PGPORT=$port
	fi
	PGDATABASE=$(urldecode "$dbname")
	export PGDATABASE
	local pair key value
	local -a pairs=()
	if [[ -n $query ]]; then
		IFS='&' read -r -a pairs <<<"$query"
	fi
	for pair in "${pairs[@]}"; do
		key=${pair%%=*}
		value=$(urldecode "${pair#*=}")
		case $key in
		host) export PGHOST="$value" ;;
		port) export PGPORT="$value" ;;
		user) export PGUSER="$value" ;;
		password) export PGPASSWORD="$value" ;;
		sslmode) export PGSSLMODE="$value" ;;
		sslrootcert) export PGSSLROOTCERT="$value" ;;
		sslcert) export PGSSLCERT="$value" ;;
		sslkey) export PGSSLKEY="$value" ;;
		connect_timeout) export PGCONNECT_TIMEOUT="$value" ;;
		application_name) export PGAPPNAME="$value" ;;
		target_session_attrs) export PGTARGETSESSIONATTRS="$value" ;;
		*) die "AGBOTKIT_DATABASE_URL: query parameter '$key' is not supported here" ;;
		esac
	done
	if [[ -n ${AGBOTKIT_DATABASE_PASSWORD:-} ]]; then
		export PGPASSWORD="$AGBOTKIT_DATABASE_PASSWORD"
	fi
	if [[ -n ${AGBOTKIT_DATABASE_PASSWORD_FILE:-} ]]; then
		[[ -r $AGBOTKIT_DATABASE_PASSWORD_FILE ]] || die "cannot read AGBOTKIT_DATABASE_PASSWORD_FILE"
		PGPASSWORD="$(head -n 1 "$AGBOTKIT_DATABASE_PASSWORD_FILE")"
		export PGPASSWORD
	fi
	# Where, without credentials: safe to log.
	TARGET="database '$PGDATABASE' on ${PGHOST:-the local socket}${PGPORT:+:$PGPORT}"
}

psql_value() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

require() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null || die "$tool is not installed (PostgreSQL client tools)"
	done
}

checksum_ok() {
	local dump=$1 sums=$1.sha256
	[[ -f $sums ]] || die "no checksum file $sums (restore --no-checksum skips this check)"
	(cd "$(dirname "$dump")" && sha256sum --check --status "$(basename "$sums")") ||
		die "checksum mismatch: $dump is corrupted or incomplete (see $sums)"
}

readable() {
	pg_restore --list "$1" >/dev/null 2>&1 ||
		die "$1 is not a readable pg_dump custom-format archive (corrupted or truncated)"
}

cmd_backup() {
	local dir=.
	while (($#)); do
		case $1 in
		-o | --out)
			(($# >= 2)) || usage
			dir=$2
			shift 2
			;;
		*) usage ;;
		esac
	done
	require pg_dump pg_restore sha256sum
	load_url
	mkdir -p "$dir"
	local name
	name="agbotkit-${PGDATABASE//[^A-Za-z0-9_.-]/_}-$(date -u +%Y%m%dT%H%M%SZ).dump"
	local partial="$dir/.$name.partial"
	trap 'rm -f "$partial"' EXIT
	log "backing up $TARGET"
	pg_dump --format=custom --compress="${BACKUP_COMPRESS:-6}" --file="$partial"
	readable "$partial"
	mv "$partial" "$dir/$name"
	trap - EXIT
	(cd "$dir" && sha256sum "$name" >"$name.sha256")
	log "wrote $dir/$name ($(wc -c <"$dir/$name") bytes) and $name.sha256"
	printf '%s\n' "$dir/$name"
}

cmd_verify() {
	(($# == 1)) || usage
	require pg_restore sha256sum
	[[ -f $1 ]] || die "no such dump: $1"
	checksum_ok "$1"
	readable "$1"
	log "$1: checksum and archive OK ($(pg_restore --list "$1" | grep -c ' TABLE DATA ') tables with data)"
}

# Relations in the target outside the system's and TimescaleDB's own schemas, not owned by
# an extension: a database agbotkit never used has none.
user_relations() {
	psql_value "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
		AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'timescaledb_information',
			'timescaledb_experimental')
		AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE '\_timescaledb%'
		AND NOT EXISTS (SELECT 1 FROM pg_depend d
			WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')"
}

cmd_restore() {
	local force=0 check=1 dump=
	while (($#)); do
		case $1 in
		--force) force=1 ;;
		--no-checksum) check=0 ;;
		-*) usage ;;
		*)
			[[ -z $dump ]] || usage
			dump=$1
			;;
		esac
		shift
	done
	[[ -n $dump ]] || usage
	require psql pg_restore sha256sum
	[[ -f $dump ]] || die "no such dump: $dump"
	if ((check)); then
		checksum_ok "$dump"
	else
		log "--no-checksum: the checksum of $dump is not checked"
	fi
	readable "$dump"
	load_url
	psql_value 'SELECT 1' >/dev/null || die "cannot connect to $TARGET"
	local found
	found=$(user_relations)
	local -a options=(--no-owner --no-privileges --exit-on-error)
	if ((found > 0)); then
		((force)) || die "$TARGET is not empty ($found tables, views or sequences): restore into a new database, or pass --force to empty its public schema first"
		# Emptying the schema, not pg_restore --clean: --clean cannot drop the constraints
		# partitions inherit, and would leave the partitions the dump does not have.
		log "--force: dropping the public schema of $TARGET ($found relations) before the restore"
		psql_value 'DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public' >/dev/null
		found=$(user_relations)
		((found == 0)) || die "$TARGET still holds $found relations outside the public schema: restore into a new database"
	fi
	local timescale=0
	if pg_restore --list "$dump" | grep -q ' EXTENSION - timescaledb$'; then
		timescale=1
	fi
	log "restoring $dump into $TARGET"
	if ((timescale)); then
		# The extension must exist before its catalog tables are restored, at the version the
		# dump was taken with (install the same TimescaleDB version on the new server).
		psql_value 'CREATE EXTENSION IF NOT EXISTS timescaledb' >/dev/null ||
			die "$TARGET cannot create the timescaledb extension the dump needs"
		psql_value 'SELECT timescaledb_pre_restore()' >/dev/null
		# post_restore runs even when the restore fails: it ends TimescaleDB's restore mode.
		trap 'psql_value "SELECT timescaledb_post_restore()" >/dev/null || log "timescaledb_post_restore() failed: run it by hand"' EXIT
		pg_restore "${options[@]}" --dbname="$PGDATABASE" "$dump" ||
			die "pg_restore failed: $TARGET is partly restored; restore into a new database"
		psql_value 'SELECT timescaledb_post_restore()' >/dev/null
		trap - EXIT
	else
		pg_restore "${options[@]}" --single-transaction --dbname="$PGDATABASE" "$dump" ||
			die "pg_restore failed: nothing was changed in $TARGET (one transaction)"
	fi
	psql_value 'ANALYZE' >/dev/null
	log "restored $dump into $TARGET ($(user_relations) relations)"
}

main() {
	(($#)) || usage
	local command=$1
	shift
	case $command in
	backup) cmd_backup "$@" ;;
	restore) cmd_restore "$@" ;;
	verify) cmd_verify "$@" ;;
	-h | --help | help) usage ;;
	*) usage ;;
	esac
}

main "$@"

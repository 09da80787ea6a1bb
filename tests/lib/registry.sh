# SPDX-License-Identifier: LGPL-2.1-or-later
# Real OCI registry and HTTP servers on 127.0.0.1 for tests (bash; source after tap.sh):
# Debian's docker-registry (CNCF distribution 2.8) with our own configuration, optionally
# behind docker's token authentication served by tests/lib/token-server.py, and a static
# file server (tests/lib/http-files.py) that logs every request. One registry at a time;
# everything started here is stopped by registry_cleanup (call it from an EXIT trap).
#
#   registry_require                      skip_all unless docker-registry, skopeo, openssl
#                                         and python3 are there
#   registry_start WORKDIR [--token USER:PASSWORD] [--redirect BASEURL]
#       start a registry with filesystem storage in WORKDIR/storage (delete enabled) on a
#       free port; sets REGISTRY_ADDR (127.0.0.1:PORT), REGISTRY_PID, REGISTRY_STORAGE,
#       REGISTRY_LOG. --token: clients must get a token from a token server that accepts
#       USER:PASSWORD (sets TOKEN_PID, TOKEN_LOG, REGISTRY_CREDS). --redirect: blob GETs
#       are answered with a 307 to BASEURL + the blob's path in the storage directory
#       (distribution's "redirect" storage middleware), as cloud storage backends do.
#   registry_restart                      the same registry again (same port, storage, auth)
#   registry_kill                         SIGKILL, as a crash or a power cut would
#   registry_stop                         SIGTERM, then wait (SIGKILL after 10 s)
#   registry_push ARCHIVE NAME:TAG [--all]
#       skopeo copy of an OCI archive (tests/lib/oci-archive.py) into the registry, with
#       REGISTRY_CREDS when set; --all for a multi-arch index
#   registry_blob_path DIGEST             the blob's data file inside REGISTRY_STORAGE
#   http_files_start DIR [norange]        serve DIR; sets HTTP_FILES_URL, HTTP_FILES_PID,
#                                         HTTP_FILES_LOG (one line per request); norange:
#                                         Range headers are ignored (always 200)
#   http_files_stop                       stop it (its log goes too)
#   registry_cleanup                      stop everything started above

REGISTRY_PID= TOKEN_PID= HTTP_FILES_PID= _http_files_state=
REGISTRY_CREDS=

registry_require() {
	local t
	for t in docker-registry skopeo openssl python3 curl; do
		command -v "$t" >/dev/null || skip_all "$t is not installed (tools/install-deps)"
	done
}

# _registry_stop_pid PID: SIGTERM, wait up to 10 s, then SIGKILL.
_registry_stop_pid() {
	local pid=$1 i
	[[ -n $pid ]] || return 0
	kill "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	# "|| :": safe under set -e (tools/quickstart uses these helpers too).
	kill -9 "$pid" 2>/dev/null || :
	wait "$pid" 2>/dev/null || :
	return 0
}

# _registry_wait_port FILE: a port number written by a server we started.
_registry_wait_port() {
	wait_for 10 test -s "$1" || return 1
	cat "$1"
}

_registry_token_start() {
	local dir=$1 creds=$2
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/token.key" -out "$dir/token.crt" \
		-days 2 -subj /CN=kiln-test-token >/dev/null 2>&1 || return 1
	TOKEN_LOG=$dir/token.log
	rm -f "$dir/token.port"
	: >"$TOKEN_LOG"
	python3 "$KILN_SRCDIR/tests/lib/token-server.py" "$dir/token.port" "$TOKEN_LOG" "$dir/token.key" \
		"$dir/token.crt" kiln-test-issuer "$creds" 2>>"$dir/token.err" &
	TOKEN_PID=$!
	TOKEN_PORT=$(_registry_wait_port "$dir/token.port") || return 1
	REGISTRY_CREDS=$creds
}

_registry_write_config() {
	local port=$1
	{
		cat <<-EOF
		version: 0.1
		log:
		  level: info
		  accesslog:
		    disabled: true
		storage:
		  filesystem:
		    rootdirectory: $REGISTRY_STORAGE
		  delete:
		    enabled: true
		  maintenance:
		    uploadpurging:
		      enabled: false
		http:
		  addr: 127.0.0.1:$port
		  secret: kiln-test-secret
		EOF
		if [[ -n $_registry_redirect ]]; then
			cat <<-EOF
			middleware:
			  storage:
			    - name: redirect
			      options:
			        baseurl: $_registry_redirect
			EOF
		fi
		if [[ -n $TOKEN_PID ]]; then
			cat <<-EOF
			auth:
			  token:
			    realm: http://127.0.0.1:$TOKEN_PORT/token
			    service: kiln-test-registry
			    issuer: kiln-test-issuer
			    rootcertbundle: $_registry_dir/token.crt
			EOF
		fi
	} >"$_registry_dir/config.yml"
}

# _registry_launch: start docker-registry with the current config and wait until it
# listens (the port comes from its log when the config asks for port 0).
_registry_launch() {
	: >"$REGISTRY_LOG"
	docker-registry serve "$_registry_dir/config.yml" >>"$REGISTRY_LOG" 2>&1 &
	REGISTRY_PID=$!
	wait_for 10 grep -q 'listening on 127.0.0.1:' "$REGISTRY_LOG" || return 1
	REGISTRY_ADDR=$(sed -n 's/.*listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$REGISTRY_LOG" | head -n1)
	[[ -n $REGISTRY_ADDR ]] || return 1
	wait_for 10 curl -s -o /dev/null "http://$REGISTRY_ADDR/v2/"
}

registry_start() {
	_registry_dir=$1; shift
	local token=
	_registry_redirect=
	while [[ $# -gt 0 ]]; do
		case $1 in
		--token) token=$2; shift 2 ;;
		--redirect) _registry_redirect=$2; shift 2 ;;
		*) echo "registry_start: unknown option $1" >&2; return 1 ;;
		esac
	done
	mkdir -p "$_registry_dir/storage"
	REGISTRY_STORAGE=$_registry_dir/storage
	REGISTRY_LOG=$_registry_dir/registry.log
	REGISTRY_CREDS=
	if [[ -n $token ]]; then
		_registry_token_start "$_registry_dir" "$token" || return 1
	fi
	_registry_write_config 0
	_registry_launch || return 1
	# From now on the same port, so a restart serves the same URLs.
	_registry_write_config "${REGISTRY_ADDR##*:}"
}

registry_restart() {
	_registry_stop_pid "$REGISTRY_PID"
	_registry_launch
}

registry_kill() {
	[[ -n $REGISTRY_PID ]] || return 0
	kill -9 "$REGISTRY_PID" 2>/dev/null
	wait "$REGISTRY_PID" 2>/dev/null
	REGISTRY_PID=
	return 0
}

registry_stop() {
	_registry_stop_pid "$REGISTRY_PID"
	REGISTRY_PID=
	_registry_stop_pid "$TOKEN_PID"
	TOKEN_PID=
}

registry_push() {
	local archive=$1 ref=$2; shift 2
	local creds=()
	[[ -n $REGISTRY_CREDS ]] && creds=(--dest-creds "$REGISTRY_CREDS")
	timeout 60 skopeo --insecure-policy copy --quiet --dest-tls-verify=false "${creds[@]}" "$@" \
		"oci-archive:$archive" "docker://$REGISTRY_ADDR/$ref"
}

registry_blob_path() {
	local hex=${1#sha256:}
	echo "$REGISTRY_STORAGE/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}

http_files_start() {
	local dir=$1 mode=${2:-} state
	http_files_stop
	state=$(mktemp -d "${TMPDIR:-/tmp}/kiln-http-files-XXXXXX") || return 1
	_http_files_state=$state
	HTTP_FILES_LOG=$state/requests.log
	: >"$HTTP_FILES_LOG"
	python3 "$KILN_SRCDIR/tests/lib/http-files.py" "$dir" "$state/port" "$HTTP_FILES_LOG" $mode 2>>"$state/err" &
	HTTP_FILES_PID=$!
	local port
	port=$(_registry_wait_port "$state/port") || return 1
	HTTP_FILES_URL=http://127.0.0.1:$port
}

registry_cleanup() {
	registry_stop
	http_files_stop
}

http_files_stop() {
	_registry_stop_pid "$HTTP_FILES_PID"
	HTTP_FILES_PID=
	[[ -n ${_http_files_state:-} ]] && rm -rf "$_http_files_state"
	_http_files_state=
	return 0
}

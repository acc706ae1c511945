#!/usr/bin/env bash
# A local three-member kvstore cluster, laid out as etcd's Procfile:
#   infra1: clients http://127.0.0.1:2379,  peers http://127.0.0.1:2380
#   infra2: clients http://127.0.0.1:22379, peers http://127.0.0.1:22380
#   infra3: clients http://127.0.0.1:32379, peers http://127.0.0.1:32380
# Data, logs (<name>.log, JSON lines) and pids (<name>.pid) live under ./cluster-data (or $CLUSTER_DATA).
#
# With --tls first (tools/cluster.sh --tls start), the members serve clients and peers over TLS: openssl makes a
# CA and server, peer and client (CN root) certificates in ./cluster-data/certs; clients need a certificate of the
# CA (--client-cert-auth), members a peer certificate of it (--peer-client-cert-auth). The mode sticks to the data:
# later commands on a TLS cluster use TLS without the flag.
#
#   tools/cluster.sh start          build the host if needed, start the members that are not running, wait until they serve
#   tools/cluster.sh stop [name]    SIGTERM every member (or one: infra1|infra2|infra3); data stays
#   tools/cluster.sh kill name      SIGKILL one member (a crash); 'start' brings it back from its data dir
#   tools/cluster.sh status         etcdctl endpoint status --cluster -w table, and endpoint health
#   tools/cluster.sh leader         the name of the member that leads now (e.g. tools/cluster.sh kill "$(tools/cluster.sh leader)")
#   tools/cluster.sh env            the ETCDCTL_* exports that point etcdctl at the cluster (with its certificates under --tls)
#   tools/cluster.sh clean          stop, then delete ./cluster-data
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${CLUSTER_DATA:-$PWD/cluster-data}
DLL="$ROOT/src/KvStore.Host/bin/Release/net10.0/kvstore.dll"
NAMES=(infra1 infra2 infra3)
CLIENT_PORTS=(2379 22379 32379)
PEER_PORTS=(2380 22380 32380)
TOKEN=kvstore-cluster-1
CERTS="$DATA/certs"

TLS=0
if [[ ${1:-} == --tls ]]; then
    TLS=1
    shift
    if [[ -d $DATA && ! -f $DATA/tls ]] && ls "$DATA"/*.kvstore >/dev/null 2>&1; then
        echo "$DATA holds a cluster without TLS; run tools/cluster.sh clean first" >&2
        exit 2
    fi
fi
[[ -f $DATA/tls ]] && TLS=1
SCHEME=http
TLS_FLAGS=()
CTL_FLAGS=()
if ((TLS)); then
    SCHEME=https
    TLS_FLAGS=(--cert-file "$CERTS/server.crt" --key-file "$CERTS/server.key" --trusted-ca-file "$CERTS/ca.crt" --client-cert-auth
        --peer-cert-file "$CERTS/peer.crt" --peer-key-file "$CERTS/peer.key" --peer-trusted-ca-file "$CERTS/ca.crt" --peer-client-cert-auth)
    CTL_FLAGS=(--cacert "$CERTS/ca.crt" --cert "$CERTS/client.crt" --key "$CERTS/client.key")
fi
# The script passes these to etcdctl itself; etcdctl refuses a flag that an ETCDCTL_* variable also sets.
unset ETCDCTL_ENDPOINTS ETCDCTL_CACERT ETCDCTL_CERT ETCDCTL_KEY
ENDPOINTS=$SCHEME://127.0.0.1:2379,$SCHEME://127.0.0.1:22379,$SCHEME://127.0.0.1:32379
INITIAL_CLUSTER=infra1=$SCHEME://127.0.0.1:2380,infra2=$SCHEME://127.0.0.1:22380,infra3=$SCHEME://127.0.0.1:32380

make_certs() {
    # A CA, then certificates it signs: server (client URLs) and peer (peer URLs) for 127.0.0.1 and localhost, used
    # for both server and client authentication; client with CN root (the root user when auth is enabled).
    [[ -f $CERTS/client.key ]] && return 0
    command -v openssl >/dev/null || { echo "--tls needs openssl (apt-get install openssl)" >&2; exit 1; }
    mkdir -p "$CERTS"
    (
        cd "$CERTS"
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=kvstore-ca" -keyout ca.key -out ca.crt 2>/dev/null
        for name in server peer; do
            openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=$name" -CA ca.crt -CAkey ca.key \
                -addext "basicConstraints=critical,CA:FALSE" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
                -addext "extendedKeyUsage=serverAuth,clientAuth" -keyout $name.key -out $name.crt 2>/dev/null
        done
        openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=root" -CA ca.crt -CAkey ca.key \
            -addext "basicConstraints=critical,CA:FALSE" -addext "extendedKeyUsage=clientAuth" -keyout client.key -out client.crt 2>/dev/null
    )
    echo "made a CA and server, peer and client certificates in $CERTS"
}

pid_of() { # prints the pid of a running member, else nothing
    local file="$DATA/$1.pid"
    [[ -f $file ]] || return 0
    local pid; pid=$(<"$file")
    if kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

index_of() {
    local i
    for i in "${!NAMES[@]}"; do [[ ${NAMES[$i]} == "$1" ]] && { echo "$i"; return; }; done
    echo "unknown member '$1' (want one of ${NAMES[*]})" >&2
    exit 2
}

build() {
    # Builds when the host is missing or a source file is newer than it.
    if [[ ! -f $DLL ]] || [[ -n $(find "$ROOT/src" "$ROOT/proto" -newer "$DLL" \( -name '*.cs' -o -name '*.csproj' -o -name '*.proto' \) -print -quit) ]]; then
        echo "building kvstore (dotnet build -c Release) ..."
        dotnet build "$ROOT/src/KvStore.Host/KvStore.Host.csproj" -c Release -nologo -v quiet >/dev/null
    fi
}

start_member() {
    local i=$1 name=${NAMES[$1]}
    local client=$SCHEME://127.0.0.1:${CLIENT_PORTS[$i]} peer=$SCHEME://127.0.0.1:${PEER_PORTS[$i]}
    mkdir -p "$DATA"
    touch "$DATA/$name.log"
    # wait_ready looks for this run's ready line only: past the log's current end.
    LOG_START[$i]=$(($(wc -l <"$DATA/$name.log") + 1))
    # As etcd's Procfile: always --initial-cluster-state new; a member with a data dir restarts from it and
    # ignores the initial-cluster flags.
    nohup dotnet "$DLL" --name "$name" --data-dir "$DATA/$name.kvstore" \
        --listen-client-urls "$client" --advertise-client-urls "$client" \
        --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
        --initial-cluster-token "$TOKEN" --initial-cluster "$INITIAL_CLUSTER" \
        --initial-cluster-state new "${TLS_FLAGS[@]}" \
        >>"$DATA/$name.log" 2>&1 </dev/null &
    echo $! >"$DATA/$name.pid"
    echo "started $name (pid $!): clients $client, peers $peer, log $DATA/$name.log"
}

wait_ready() { # wait_ready index...: every started member logs 'ready to serve client requests'
    local i name deadline=$((SECONDS + 180))
    for i in "$@"; do
        name=${NAMES[$i]}
        until tail -n "+${LOG_START[$i]}" "$DATA/$name.log" | grep -q 'ready to serve client requests'; do
            if [[ -z $(pid_of "$name") ]]; then
                echo "$name exited; last lines of $DATA/$name.log:" >&2
                tail -n 20 "$DATA/$name.log" >&2
                exit 1
            fi
            if ((SECONDS > deadline)); then
                echo "$name is not ready after 180 s; see $DATA/$name.log" >&2
                exit 1
            fi
            sleep 0.5
        done
        echo "$name ready"
    done
}

cmd=${1:-}
case $cmd in
start)
    build
    if ((TLS)); then make_certs; mkdir -p "$DATA"; touch "$DATA/tls"; fi
    declare -a LOG_START started=()
    for i in "${!NAMES[@]}"; do
        pid=$(pid_of "${NAMES[$i]}")
        if [[ -n $pid ]]; then
            echo "${NAMES[$i]} already running (pid $pid)"
        else
            start_member "$i"
            started+=("$i")
        fi
    done
    # The members wait for each other (a quorum elects a leader) before they serve.
    if ((${#started[@]})); then wait_ready "${started[@]}"; fi
    echo "cluster serving on $ENDPOINTS"
    ;;
stop)
    targets=("${NAMES[@]}")
    [[ -n ${2:-} ]] && { index_of "$2" >/dev/null; targets=("$2"); }
    for name in "${targets[@]}"; do
        pid=$(pid_of "$name")
        if [[ -z $pid ]]; then echo "$name not running"; continue; fi
        kill -TERM "$pid"
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; echo "$name killed (did not stop in 10 s)"; else echo "$name stopped"; fi
        rm -f "$DATA/$name.pid"
    done
    ;;
kill)
    [[ -n ${2:-} ]] || { echo "usage: $0 kill infra1|infra2|infra3" >&2; exit 2; }
    index_of "$2" >/dev/null
    pid=$(pid_of "$2")
    if [[ -z $pid ]]; then echo "$2 not running"; exit 0; fi
    kill -KILL "$pid"
    echo "$2 (pid $pid) killed with SIGKILL"
    ;;
status)
    for name in "${NAMES[@]}"; do
        pid=$(pid_of "$name")
        if [[ -n $pid ]]; then echo "$name: running (pid $pid)"; else echo "$name: not running"; fi
    done
    export ETCDCTL_API=3
    # etcdctl logs every retry of a member without a leader as a JSON line; the table and health say it already.
    etcdctl --endpoints=$ENDPOINTS "${CTL_FLAGS[@]}" --command-timeout=5s endpoint status --cluster -w table 2> >(grep -v retry_interceptor >&2) || true
    etcdctl --endpoints=$ENDPOINTS "${CTL_FLAGS[@]}" --command-timeout=5s endpoint health 2> >(grep -v retry_interceptor >&2) || true
    ;;
leader)
    # Waits up to 15 s for one (an election takes about one election timeout after a leader dies).
    export ETCDCTL_API=3
    for _ in $(seq 30); do
        for i in "${!NAMES[@]}"; do
            [[ -n $(pid_of "${NAMES[$i]}") ]] || continue
            json=$(etcdctl --endpoints="$SCHEME://127.0.0.1:${CLIENT_PORTS[$i]}" "${CTL_FLAGS[@]}" --command-timeout=3s endpoint status -w json 2>/dev/null) || continue
            [[ $json =~ \"member_id\":([0-9]+) ]] && member=${BASH_REMATCH[1]} || continue
            [[ $json =~ \"leader\":([0-9]+) ]] && leader=${BASH_REMATCH[1]} || continue
            if [[ $member == "$leader" ]]; then echo "${NAMES[$i]}"; exit 0; fi
        done
        sleep 0.5
    done
    echo "no leader among the running members" >&2
    exit 1
    ;;
env)
    echo "export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=$ENDPOINTS"
    if ((TLS)); then echo "export ETCDCTL_CACERT=$CERTS/ca.crt ETCDCTL_CERT=$CERTS/client.crt ETCDCTL_KEY=$CERTS/client.key"; fi
    ;;
clean)
    "$0" stop
    rm -rf "$DATA"
    echo "deleted $DATA"
    ;;
*)
    echo "usage: $0 [--tls] start|stop [name]|kill name|status|leader|env|clean" >&2
    exit 2
    ;;
esac

# Sourced by the tools/*.sh scripts that start single etcd or kvstore members (bench-vs-etcd.sh, maintenance-stall.sh,
# bigrange-vs-etcd.sh, apiserver-bench.sh): free loopback ports, the one-member command line both take, the wait for
# the ready line, and the stop. Not a script of its own.

# free_port: a loopback port free now (the kernel's pick).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# single_member_flags DATA CLIENT PEER: sets MEMBER_FLAGS to the flags etcd and kvstore both take for a one-member
# cluster with its data in DATA, clients on 127.0.0.1:CLIENT and peers on 127.0.0.1:PEER.
single_member_flags() {
  MEMBER_FLAGS=(--data-dir "$1"
    --listen-client-urls "http://127.0.0.1:$2" --advertise-client-urls "http://127.0.0.1:$2"
    --listen-peer-urls "http://127.0.0.1:$3" --initial-advertise-peer-urls "http://127.0.0.1:$3"
    --initial-cluster "default=http://127.0.0.1:$3")
}

# wait_ready NAME LOG PID [SECONDS]: waits (60 s unless said) for the member's "ready to serve client requests"; on
# failure prints the end of its log and returns 1.
wait_ready() {
  local name=$1 log=$2 pid=$3 seconds=${4:-60}
  for _ in $(seq $((seconds * 10))); do
    if grep -q "ready to serve client requests" "$log"; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited before it was ready; its log:" >&2
      tail -n 30 "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "$name was not ready after $seconds s; its log:" >&2
  tail -n 30 "$log" >&2
  return 1
}

# stop_pid PID [SECONDS]: SIGTERM, then SIGKILL after SECONDS (5 unless said), and reaps it.
stop_pid() {
  local pid=$1 seconds=${2:-5}
  kill "$pid" 2>/dev/null || true
  for _ in $(seq $((seconds * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

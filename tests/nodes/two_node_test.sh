#!/usr/bin/env bash
# Two nodes on one machine (issue 15, part 7): every other multi-rank test runs on one node.
# This one builds two test hosts here, each in a network and UTS namespace of its own:
#   node-a  netns tdm<PID>a, 10.77.0.1/24 on one end of a veth pair, hostname node-a
#   node-b  netns tdm<PID>b, 10.77.0.2/24 on the other end,        hostname node-b
# with nothing on loopback between them, each resolving both names through its own
# /etc/netns/NS/hosts (which `ip netns exec` mounts over /etc/hosts), and an sshd in each
# (host and client keys made for the test in a temporary directory; the real ~/.ssh and
# /etc/ssh are not read or changed: ssh gets its own file with -F through plm_rsh_args).
# From node-a it runs launch/hostfile.example's command (mpirun --hostfile, --map-by
# ppr:R:node:PE=T --bind-to core) with 2 ranks on each node, Open MPI's runtime (oob) and
# TCP transport on 10.77.0.0/24, shared memory within a node. Checks:
#   - the layout line reports 2 node(s), 4 rank(s); each node's ranks ran under its hostname;
#   - --grad-sync auto chose bucketed (the ranks span nodes), --data-cache node held one copy
#     per node shared by its 2 ranks;
#   - the hang detector across nodes: rank 2 (node-b) stopped with SIGSTOP ends the job within
#     --hang-timeout + 10 s, exit 3, rank 2 named with where it was last seen;
#   - final.h5 (parameters, batch-norm statistics) and metrics bitwise equal to the same 4
#     ranks on one node (same global batches, --grad-sync bucketed, a copy per rank). Same
#     number of ranks means the same slices and the same allreduce algorithm (Open MPI's
#     tuned component chooses by communicator and message size, not by placement), so the
#     sums run in the same order: tandem promises bitwise results for equal rank counts
#     (README "Training lifecycle"; there is no rank-count-independent deterministic mode).
#     A site whose Open MPI picks a hierarchical allreduce across nodes (coll han, hcoll)
#     sums in another order and would need a tolerance; Debian's has han at priority 0.
# Everything is torn down at exit (sshd, namespaces, veth, /etc/netns/NS). SKIPs (exit 77)
# only when the kernel refuses network namespaces or veth pairs (or not root).
#   two_node_test.sh TANDEM SOURCE_DIR WORK_DIR
set -u -o pipefail
[ $# -eq 3 ] || { echo "usage: $(basename "$0") TANDEM SOURCE_DIR WORK_DIR"; exit 2; }
tandem=$1 src=$2 work=$3
skip() { echo "SKIP: $*"; exit 77; }
for tool in ip unshare /usr/sbin/sshd ssh ssh-keygen mpirun h5diff jq; do
  command -v "$tool" > /dev/null || { echo "FAIL: $tool not installed (launch/test.sh installs it)"; exit 1; }
done
[ "$(id -u)" -eq 0 ] || skip "network namespaces need root (run as root, as launch/test.sh in CI does)"
rm -rf "$work"
mkdir -p "$work"
tmp=$(mktemp -d /tmp/tandem_nodes.XXXXXX)
nsa=tdm$$a nsb=tdm$$b
sshd_pids=() made_run_sshd=0

cleanup() {
  local p
  for p in "${sshd_pids[@]}"; do kill "$p" 2> /dev/null; done
  for p in "${sshd_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2> /dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2> /dev/null
  done
  # Deleting a namespace deletes the veth end inside it and with it the pair.
  ip netns pids "$nsa" 2> /dev/null | xargs -r kill -KILL 2> /dev/null
  ip netns pids "$nsb" 2> /dev/null | xargs -r kill -KILL 2> /dev/null
  ip netns del "$nsa" 2> /dev/null
  ip netns del "$nsb" 2> /dev/null
  rm -rf "/etc/netns/$nsa" "/etc/netns/$nsb"
  rmdir /etc/netns 2> /dev/null
  [ "$made_run_sshd" -eq 0 ] || rmdir /run/sshd 2> /dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

passed=0 failed=0
check() {
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok: $what"
  else
    failed=$((failed + 1))
    echo "FAIL: $what"
    echo "      command: $*"
  fi
}
die() {
  echo "FAIL: $*"
  local f
  for f in "$tmp"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done
  exit 1
}

# --- the two hosts ---------------------------------------------------------------------------
# Namespaces left by an earlier run killed before its trap could run (CTest's timeout): the
# PID in their name is gone.
for ns in $(ip netns list 2> /dev/null | awk '$1 ~ /^tdm[0-9]+[ab]$/ {print $1}'); do
  pid=${ns//[!0-9]/}
  kill -0 "$pid" 2> /dev/null && continue
  ip netns pids "$ns" 2> /dev/null | xargs -r kill -KILL 2> /dev/null
  ip netns del "$ns" 2> /dev/null
  rm -rf "/etc/netns/$ns"
done
ip netns add "$nsa" 2> "$tmp/netns.err" || skip "the kernel refuses network namespaces: $(cat "$tmp/netns.err")"
ip netns add "$nsb" || die "ip netns add $nsb"
ip link add "v$nsa" type veth peer name "v$nsb" 2> "$tmp/veth.err" ||
  skip "the kernel refuses veth pairs: $(cat "$tmp/veth.err")"
ip link set "v$nsa" netns "$nsa" && ip link set "v$nsb" netns "$nsb" || die "moving the veth ends"
ip -n "$nsa" addr add 10.77.0.1/24 dev "v$nsa" && ip -n "$nsa" link set "v$nsa" up && ip -n "$nsa" link set lo up ||
  die "configuring $nsa"
ip -n "$nsb" addr add 10.77.0.2/24 dev "v$nsb" && ip -n "$nsb" link set "v$nsb" up && ip -n "$nsb" link set lo up ||
  die "configuring $nsb"
for ns in "$nsa" "$nsb"; do
  mkdir -p "/etc/netns/$ns"
  printf '127.0.0.1 localhost\n10.77.0.1 node-a\n10.77.0.2 node-b\n' > "/etc/netns/$ns/hosts"
done
# on NS NAME COMMAND...: COMMAND in NS's network namespace, its /etc/hosts and a UTS namespace
# of its own named NAME (what a process on that host sees).
on() {
  local ns=$1 name=$2
  shift 2
  ip netns exec "$ns" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$name" "$@"
}

# --- ssh: keys and configurations of this test only -------------------------------------------
ssh-keygen -q -t ed25519 -N '' -C tandem-test-host -f "$tmp/host_key" || die "ssh-keygen (host key)"
ssh-keygen -q -t ed25519 -N '' -C tandem-test-client -f "$tmp/client_key" || die "ssh-keygen (client key)"
cp "$tmp/client_key.pub" "$tmp/authorized_keys"
echo "node-a,node-b,10.77.0.1,10.77.0.2 $(cut -d' ' -f1,2 "$tmp/host_key.pub")" > "$tmp/known_hosts"
cat > "$tmp/sshd_config" << EOF
Port 22
HostKey $tmp/host_key
AuthorizedKeysFile $tmp/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
EOF
cat > "$tmp/ssh_config" << EOF
Host *
  User root
  IdentityFile $tmp/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $tmp/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 10
  LogLevel ERROR
EOF
chmod 600 "$tmp"/*_config
[ -d /run/sshd ] || { mkdir -p /run/sshd && made_run_sshd=1; }  # sshd's privilege-separation dir
for node in a b; do
  ns=tdm$$$node
  on "$ns" "node-$node" /usr/sbin/sshd -D -e -f "$tmp/sshd_config" -o "PidFile=$tmp/sshd-$node.pid" \
    > "$tmp/sshd-$node.log" 2>&1 &
  sshd_pids+=($!)
done
sshd_up() { on "$nsa" node-a ssh -F "$tmp/ssh_config" "$1" hostname 2> /dev/null | grep -qx "$1"; }
for node in node-a node-b; do
  deadline=$((SECONDS + 30))
  until sshd_up "$node"; do
    [ $SECONDS -lt $deadline ] || die "ssh from node-a to $node (sshd in its namespace) did not answer within 30 s"
    sleep 0.3
  done
done
echo "two hosts up: node-a 10.77.0.1 and node-b 10.77.0.2 (namespaces $nsa, $nsb), sshd on each"

# --- Open MPI across them ---------------------------------------------------------------------
# launch/openmpi.env's loopback settings are for one machine; here the runtime and the TCP
# transport must use the veth network, as a site's settings would name its interconnect.
set -a
. "$src/launch/openmpi.env"
set +a
export OMPI_MCA_oob_tcp_if_include=10.77.0.0/24 OMPI_MCA_btl_tcp_if_include=10.77.0.0/24
export OMPI_MCA_plm_rsh_agent=ssh OMPI_MCA_plm_rsh_args="-F $tmp/ssh_config"
printf 'node-a slots=2\nnode-b slots=2\n' > "$tmp/hostfile"
# Ranks started over ssh get only the environment named with -x: a sanitizer build's options
# (tests/sanitize/env.sh) must reach node-b's ranks too, or LeakSanitizer runs there with none
# of its suppressions.
remote_env=()
for v in ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS; do
  [ -z "${!v:-}" ] || remote_env+=(-x "$v")
done
data=$work/fm.h5
"$tandem" convert idx --dir /usr/share/datasets/fashion-mnist --out "$data" > "$work/convert.log" 2>&1 ||
  die "tandem convert idx (see $work/convert.log)"
opts=(--data "$data" --model "$src/launch/models/mlp-bn.model" --batch-size 100 --train-limit 1200
      --test-limit 300 --optimizer nesterov --lr 0.02 --seed 5 --checkpoint-every 0)

# Bytes node-a has sent over the veth (the only way to node-b).
tx_bytes() { ip -n "$nsa" -j -s link show dev "v$nsa" | jq '.[0].stats64.tx.bytes'; }
tx_before=$(tx_bytes)
# hostfile.example's command, 2 ranks a node x 1 thread each, from node-a.
on "$nsa" node-a timeout 150 mpirun --hostfile "$tmp/hostfile" -np 4 --map-by ppr:2:node:PE=1 --bind-to core "${remote_env[@]}" \
  -x OMP_WAIT_POLICY=passive "$tandem" train --threads 1 "${opts[@]}" --epochs 2 --grad-sync auto --data-cache node \
  --out "$work/two" > "$work/two.log" 2>&1
rc=$?
check "2 nodes: mpirun --hostfile ... exits 0 (exit $rc; log $work/two.log)" test $rc -eq 0
[ $rc -eq 0 ] || tail -n 30 "$work/two.log"
check "2 nodes: layout line reports 2 node(s), 4 rank(s)" grep -qE '^tandem .*: 2 node\(s\), 4 rank\(s\),' "$work/two.log"
check "2 nodes: --grad-sync auto chose bucketed across nodes" grep -qE '^gradient sync bucketed ' "$work/two.log"
check "2 nodes: --data-cache node: one copy per node, shared by its 2 ranks" \
  grep -qF 'held once per node, shared by its 2 rank(s) (--data-cache node)' "$work/two.log"
check "2 nodes: trained to the final test accuracy" grep -q '^final test accuracy' "$work/two.log"
# 24 steps, each summing 1,056 KiB of gradients across the nodes: the data went over the veth.
sent_mib=$((($(tx_bytes) - tx_before) / 1048576))
check "2 nodes: node-a sent $sent_mib MiB to node-b over the veth (at least 24 steps x 1 MiB of gradients)" \
  test "$sent_mib" -ge 24

# Where the ranks ran: each node's hostname, in its own network (2 ranks on each). Open MPI's
# messages (e.g. a benign "plm:rsh: Warning: setpgid ... failed" race) go to placement.err.
on "$nsa" node-a timeout 60 mpirun --hostfile "$tmp/hostfile" -np 4 --map-by ppr:2:node:PE=1 --bind-to core "${remote_env[@]}" \
  sh -c 'echo "$OMPI_COMM_WORLD_RANK $(hostname)" $(hostname -I)' \
  2> "$work/placement.err" | sort > "$work/placement.txt"
check "2 nodes: ranks 0,1 on node-a (10.77.0.1), 2,3 on node-b (10.77.0.2): $(paste -sd';' "$work/placement.txt")" \
  test "$(paste -sd';' "$work/placement.txt")" = \
  "0 node-a 10.77.0.1;1 node-a 10.77.0.1;2 node-b 10.77.0.2;3 node-b 10.77.0.2"

# The same global batches on one node: 4 ranks on this machine, loopback settings.
(
  set -a
  . "$src/launch/openmpi.env"
  set +a
  unset OMPI_MCA_plm_rsh_agent OMPI_MCA_plm_rsh_args
  timeout 150 mpirun -np 4 --oversubscribe --bind-to none "$tandem" train --threads 1 "${opts[@]}" --epochs 2 \
    --grad-sync bucketed --data-cache rank --out "$work/one" > "$work/one.log" 2>&1
)
rc=$?
check "1 node: 4 ranks exit 0 (exit $rc; log $work/one.log)" test $rc -eq 0
check "1 node: layout line reports 1 node(s), 4 rank(s)" grep -qE '^tandem .*: 1 node\(s\), 4 rank\(s\),' "$work/one.log"
same_h5() { h5diff -q "$work/one/final.h5" "$work/two/final.h5" "$1" > /dev/null 2>&1; }
check "final.h5 /params bitwise equal on 2 nodes and on 1 node" same_h5 /params
check "final.h5 /state (batch-norm statistics) bitwise equal on 2 nodes and on 1 node" same_h5 /state
same_metrics() {
  jq -e -n --slurpfile a "$work/one/metrics.jsonl" --slurpfile b "$work/two/metrics.jsonl" \
    '($a | map(del(.seconds, .samples_per_s, .grad_wait_s))) == ($b | map(del(.seconds, .samples_per_s, .grad_wait_s)))' \
    > /dev/null
}
check "metrics.jsonl equal on 2 nodes and on 1 node (timings aside)" same_metrics

# --- the hang detector across nodes: rank 2 (on node-b) stopped mid-run --------------------------
on "$nsa" node-a timeout 150 mpirun --hostfile "$tmp/hostfile" -np 4 --map-by ppr:2:node:PE=1 --bind-to core "${remote_env[@]}" \
  "$tandem" train --threads 1 "${opts[@]}" --epochs 1000 --hang-timeout 5 --out "$work/hang" > "$work/hang.log" 2>&1 &
job=$!
deadline=$((SECONDS + 120))
until grep -q '^epoch 1/' "$work/hang.log" 2> /dev/null || [ $SECONDS -ge $deadline ] || ! kill -0 $job 2> /dev/null; do
  sleep 0.2
done
stopped=""
for p in $(pgrep -f -- "--out $work/hang\$"); do
  tr '\0' '\n' < "/proc/$p/environ" 2> /dev/null | grep -qx OMPI_COMM_WORLD_RANK=2 && stopped=$p
done
check "hang across nodes: training started and rank 2's pid found" test -n "$stopped"
t0=$SECONDS
[ -n "$stopped" ] && kill -STOP "$stopped"
wait $job
rc=$? took=$((SECONDS - t0))
[ -n "$stopped" ] && kill -CONT "$stopped" 2> /dev/null
check "hang across nodes: the job ended in $took s, within --hang-timeout 5 + 10 s" test "$took" -le 15
check "hang across nodes: exit code 3 (got $rc)" test "$rc" -eq 3
check "hang across nodes: rank 2 (node-b) named as not arrived, with where it was last seen" \
  grep -qE "rank 2: NOT ARRIVED: .*last seen [0-9.]+ s ago at global step [0-9]+" "$work/hang.log"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]

#!/usr/bin/env bash
# Live progress under mpirun (README "Usage"): a rank's stderr is a pipe even when mpirun's is
# a terminal, so launch/mpirun.sh asks for `--progress bar` when its own stderr is a terminal.
# Checked in a real terminal: the script runs in a tmux pane whose screen is captured while it
# trains. The bar must be on screen, move (several step counts over the captures), stay on
# one line that fits the pane (redrawn in place, never wrapped or repeated), and be cleared
# when the epoch line is printed. Outside a terminal the script asks for nothing and no
# carriage return reaches the log; --progress bar and none are obeyed through the pipe.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
topic_start "$@"
command -v tmux > /dev/null || { echo "FAIL: tmux not installed (launch/test.sh installs it)"; exit 1; }
export TANDEM_BUILD=$(dirname "$tandem")
run=(--data "$data" --model "$src/launch/models/cnn.model" --epochs 1 --batch-size 32 --test-limit 500 --seed 3)

# --- in a terminal: an 80x30 tmux pane, narrower than the 100 columns a rank assumes alone ---
session=tandem_progress_$$
trap 'tmux kill-session -t "$session" 2> /dev/null' EXIT
cat > "$work/in_terminal.sh" << SCRIPT
"$src/launch/mpirun.sh" 2 1 ${run[*]} --train-limit 24000 --out "$work/tty"
echo "EXIT=\$?"
sleep 600
SCRIPT
tmux new-session -d -s "$session" -x 80 -y 30 "bash $work/in_terminal.sh"
: > "$work/captures.txt"
for _ in $(seq 1 600); do  # up to 120 s
  screen=$(tmux capture-pane -p -t "$session")
  printf '%s\n----\n' "$screen" >> "$work/captures.txt"
  grep -q '^EXIT=' <<< "$screen" && break
  sleep 0.2
done
check --log "$work/captures.txt" "the run in the terminal exits 0" grep -q '^EXIT=0' <<< "$screen"
check --log "$work/captures.txt" "the epoch line is printed" grep -Eq '^epoch 1/1 [^[]' <<< "$screen"
check --log "$work/captures.txt" "the bar is cleared when the epoch ends" not grep -q 'ETA' <<< "$screen"
bars=$(grep -E '^epoch 1/1 \[[=> ]+\] [0-9]+/[0-9]+ .*samples/s.*ETA' "$work/captures.txt")
counts=$(sed -E 's#^epoch 1/1 \[[=> ]+\] ([0-9]+)/.*#\1#' <<< "$bars" | uniq)
echo "step counts seen on the bar: $(tr '\n' ' ' <<< "$counts")"
check --log "$work/captures.txt" "the bar is on screen while training" test -n "$bars"
check --log "$work/captures.txt" "the bar moves: at least 3 step counts seen" test "$(wc -l <<< "$counts")" -ge 3
check "the step counts only grow" sort -n -C <<< "$counts"
check "the bar fits the 80-column pane (at most 79 characters)" \
  test "$(awk '{ if (length($0) > n) n = length($0) } END { print n + 0 }' <<< "$bars")" -le 79
check --log "$work/captures.txt" "one bar line per screen: redrawn in place, not printed again" \
  awk '/^----$/ { if (n > 1) bad = 1; n = 0; next } /ETA/ { n++ } END { exit bad }' "$work/captures.txt"

# --- outside a terminal --------------------------------------------------------------------------
"$src/launch/mpirun.sh" 2 1 "${run[@]}" --train-limit 2000 --out "$work/pipe" > "$work/pipe.log" 2>&1 < /dev/null
check --log "$work/pipe.log" "launch/mpirun.sh with stderr in a file exits 0" test $? -eq 0
check --log "$work/pipe.log" "no carriage return in the log (no bar asked for)" not grep -q $'\r' "$work/pipe.log"
mpi 2 "$tandem" train "${run[@]}" --train-limit 2000 --progress bar > "$work/bar.log" 2>&1
check --log "$work/bar.log" "--progress bar through a pipe: redrawn with carriage returns" grep -q $'\r'"epoch 1/1 \[" "$work/bar.log"
mpi 2 "$tandem" train "${run[@]}" --train-limit 2000 --progress none > "$work/none.log" 2>&1
check --log "$work/none.log" "--progress none: exits 0" test $? -eq 0
check --log "$work/none.log" "--progress none: no bar and no progress line" not grep -q 'ETA' "$work/none.log"
finish

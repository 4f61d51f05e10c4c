#!/usr/bin/env bash
# The demo: three real nodes on loopback — Cambodia's capital (KH-NCCT), Thailand's
# capital (TH-MSDHS) and the Poi Pet border office (KH-POIPET) — each with its own
# certificate, editing the sample plan and cases offline, then syncing over HTTPS.
# Run through scripts/demo.sh (which builds first). Nodes are kept in demo-nodes/.
set -euo pipefail
cd "$(dirname "$0")/.."
accord=build/bin/accord
root=${DEMO_DIR:-demo-nodes}
rm -rf "$root"
mkdir -p "$root"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
kh() { "$accord" --dir "$root/KH-NCCT" "$@"; }
th() { "$accord" --dir "$root/TH-MSDHS" "$@"; }
poipet() { "$accord" --dir "$root/KH-POIPET" "$@"; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
  local p=$1
  while ! port_free "$p"; do p=$((p + 1)); done
  echo "$p"
}
kh_port=$(pick_port 18443)
th_port=$(pick_port $((kh_port + 1)))
ui_port=$(pick_port 18080)

step "A deployment CA, and one node with its own certificate per office"
"$accord" cert ca --out "$root/ca"
for node in KH-NCCT TH-MSDHS KH-POIPET; do
  "$accord" --dir "$root/$node" init --node-id "$node"
  "$accord" --dir "$root/$node" cert node --ca-dir "$root/ca"
done

step "NCCT Phnom Penh types in the 2023-2025 plan of action, the Siem Reap meeting and cases"
kh load data/sample.json

step "Both capitals serve sync over mutual TLS on 127.0.0.1"
"$accord" --dir "$root/KH-NCCT" serve --listen "127.0.0.1:$kh_port" --ui-listen "127.0.0.1:$ui_port" 2>"$root/kh-serve.log" &
kh_pid=$!
"$accord" --dir "$root/TH-MSDHS" serve --listen "127.0.0.1:$th_port" --no-ui 2>"$root/th-serve.log" &
th_pid=$!
trap 'kill $kh_pid $th_pid 2>/dev/null; wait 2>/dev/null || true' EXIT
for _ in $(seq 50); do port_free "$kh_port" || port_free "$th_port" || break; sleep 0.1; done

step "Thailand and the border office receive the plan from NCCT"
th peer add kh-capital "https://127.0.0.1:$kh_port"
poipet peer add kh-capital "https://127.0.0.1:$kh_port"
kh peer add th-capital "https://127.0.0.1:$th_port"
th sync kh-capital
poipet sync kh-capital

step "A month offline: each office edits on its own"
echo "NCCT moves activity 1.1 to the second quarter; MSDHS, offline, moves it to the third:"
kh put activity --id act-khth-2023-1.1 timeframe=2024-Q2
th put activity --id act-khth-2023-1.1 timeframe=2024-Q3
echo "MSDHS records progress on activity 2.1:"
th put activity --id act-khth-2023-2.1 progress_status=in_progress "progress_note=Workshop venue confirmed in Bangkok"
echo "Poi Pet receives case KH-2023-009 at the checkpoint and opens a new case:"
poipet put case --id case-kh-2023-009 step=returned return_checkpoint="Poi Pet"
poipet put case reference=KH-2023-031 direction=TH-KH age_group=adult sex=female initials=N.S. step=identified "notes=FICTIONAL EXAMPLE - referred by Poi Pet checkpoint"

step "The border office syncs with its capital; the capitals sync with each other"
poipet sync kh-capital
kh sync th-capital
poipet sync kh-capital
th sync kh-capital

step "Every node holds what it may hold, the same everywhere"
for node in KH-NCCT TH-MSDHS KH-POIPET; do
  "$accord" --dir "$root/$node" dump --json > "$root/$node.dump.json"
  printf '%-10s %s\n' "$node" "$(sha256sum < "$root/$node.dump.json" | cut -c1-16)"
done
cmp -s "$root/KH-NCCT.dump.json" "$root/KH-POIPET.dump.json" &&
  echo "converged: the two Cambodian dumps are byte-identical"
th get case-kh-2023-009 | head -4
echo "Case KH-2023-021's consent was refused: it never left Cambodia (docs/sharing.md)."
kh where case-kh-2023-021
if th get case-kh-2023-021 >/dev/null 2>&1; then
  echo "ERROR: TH-MSDHS holds a case whose consent was refused" >&2
  exit 1
fi
echo "TH-MSDHS: no such record, as it should be"

step "One real conflict, shown the same on every node: accord conflicts"
th conflicts
id=$(th conflicts --json | sed -n 's/.*"id": "\([0-9a-f]*\)".*/\1/p' | head -1)
th conflicts show "$id"
echo
echo "Resolve it on any node, e.g.:  $accord --dir $root/TH-MSDHS resolve $id --take KH-NCCT"
echo "The review page of NCCT was at http://127.0.0.1:$ui_port/ while this demo ran;"
echo "run '$accord --dir $root/KH-NCCT serve' to open it again."

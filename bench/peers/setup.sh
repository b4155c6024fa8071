#!/usr/bin/env bash
# Make one virtualenv per peer tool under bench/.peers/<name> (git-ignored): garak, inspect and pyrit
# for bench/bench_spine.py, litellm (its proxy) for bench/bench_gateway.py, and agentdojo, on request
# only, for bench/bench_agentdojo.py (`bash bench/peers/setup.sh agentdojo`).
#
# Idempotent: a venv whose stamp file matches the pinned requirements is left alone; a changed pin
# rebuilds it. Run: `bash bench/peers/setup.sh [garak|inspect|pyrit|litellm ...]` (default: the
# three of bench_spine.py).
# Cold, on a 2-core machine: see bench/peers/README.md for the time each venv takes.
#
# garak and PyRIT pull in torch; a bare `torch` requirement would fetch a multi-GB CUDA build, so
# those venvs get the CPU build pinned first (TORCH below) and keep it as a constraint.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# SUHO_PEERS_DIR puts the venvs elsewhere (SUHO_PEERS_DIR=/work/peers: /work/peers/pyrit ...).
PEERS="${SUHO_PEERS_DIR:-$ROOT/bench/.peers}"
PY="${PYTHON:-python3}"
TORCH="torch==2.13.0"

declare -A PINS=(
  [garak]="garak==0.17.1"
  [inspect]="inspect-ai==0.3.285 openai==3.54.0"
  [pyrit]="pyrit==1.1.0"
  # 1.108.7: what pip resolves `litellm[proxy]==1.108.*` to from the registry here (1.108.14's
  # `proxy` extra pins a litellm-proxy-extras post-release that is not published, and pip backs off
  # to .7). Never 1.107.0: that release was compromised.
  [litellm]="litellm[proxy]==1.108.7"
  [agentdojo]="agentdojo==0.1.35"
)
declare -A NEEDS_TORCH=([garak]=1 [pyrit]=0 [inspect]=0 [litellm]=0 [agentdojo]=0)

setup_one() {
  local name="$1" venv="$PEERS/$1" spec="${PINS[$1]}"
  local want="$spec"
  [[ "${NEEDS_TORCH[$name]}" == 1 ]] && want="$TORCH $spec"
  if [[ -x "$venv/bin/python" && -f "$venv/.suho-stamp" && "$(cat "$venv/.suho-stamp")" == "$want" ]]; then
    echo "[$name] up to date ($want)"
    return
  fi
  local t0=$SECONDS
  echo "[$name] building $venv ($want)"
  rm -rf "$venv"
  "$PY" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  local cons="$venv/constraints.txt"
  : >"$cons"
  if [[ "${NEEDS_TORCH[$name]}" == 1 ]]; then
    "$venv/bin/pip" install -q "$TORCH"
    echo "$TORCH" >>"$cons"
  fi
  # shellcheck disable=SC2086
  "$venv/bin/pip" install -q -c "$cons" $spec
  echo "$want" >"$venv/.suho-stamp"
  echo "[$name] done in $((SECONDS - t0)) s"
}

# garak finds probes only inside its package: put the benchmark's probe there and build garak's
# plugin cache once (kept in the venv, as a user's ~/.cache/garak is warm after a first run).
warm_garak() {
  local venv="$PEERS/garak"
  local dest
  dest="$("$venv/bin/python" -c 'import importlib.util as u; print(next(iter(u.find_spec("garak").submodule_search_locations)))')/probes/suho_bench.py"
  cmp -s "$ROOT/bench/peers/garak_suho_bench.py" "$dest" || cp "$ROOT/bench/peers/garak_suho_bench.py" "$dest"
  local t0=$SECONDS
  HOME="$venv" XDG_CACHE_HOME="$venv/xdg-cache" XDG_DATA_HOME="$venv/xdg-data" HF_HUB_OFFLINE=1 \
    "$venv/bin/python" -m garak --list_probes >/dev/null
  echo "[garak] probe installed, plugin cache warm ($((SECONDS - t0)) s)"
}

mkdir -p "$PEERS"
names=("$@")
[[ ${#names[@]} -eq 0 ]] && names=(garak inspect pyrit)
for n in "${names[@]}"; do
  [[ -n "${PINS[$n]:-}" ]] || { echo "unknown peer: $n (garak, inspect, pyrit, litellm, agentdojo)" >&2; exit 2; }
  setup_one "$n"
  if [[ "$n" == garak ]]; then warm_garak; fi
done

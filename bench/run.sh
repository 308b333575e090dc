#!/usr/bin/env bash
# OpsBot benchmarks (run through ./build.sh bench); each section writes its bench/results/<name>.md. Short runs only.
set -euo pipefail
cd "$(dirname "$0")/.."

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 150); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done; echo "no answer from $1" >&2; return 1; }

# /api/messages throughput: OpsBot's hidden "ping" command vs the botbuilder JS echo bot, both with auth off, replying to the
# load driver's loopback fake connector; same driver, same run, 20 connections.
messages_throughput() {
  dotnet build src/OpsBot/OpsBot.csproj -c Release -nologo -clp:ErrorsOnly
  dotnet build bench/OpsBot.LoadDriver/OpsBot.LoadDriver.csproj -c Release -nologo -clp:ErrorsOnly
  local tmp opsbot_port echo_port opsbot_pid echo_pid
  tmp=$(mktemp -d)
  opsbot_port=$(free_port)
  echo_port=$(free_port)
  # Production shape: schema applied by the migrate verb, then the service starts without migrating.
  export MicrosoftAppId= Bot__AllowUnauthenticated=true Bot__RateLimits__Enabled=false ASPNETCORE_ENVIRONMENT=Production Database__Provider=Sqlite Database__ConnectionString="Data Source=$tmp/opsbot.db"
  dotnet src/OpsBot/bin/Release/net10.0/OpsBot.dll migrate > "$tmp/migrate.log"
  # Run like a deployment from its output folder: --contentRoot makes the shipped appsettings.json (Production log levels) apply.
  local bin="$PWD/src/OpsBot/bin/Release/net10.0"
  (cd "$tmp" && exec dotnet "$bin/OpsBot.dll" --urls "http://127.0.0.1:$opsbot_port" --contentRoot "$bin") > "$tmp/opsbot.log" 2>&1 &
  opsbot_pid=$!
  node bench/echo-bot/index.mjs "$echo_port" > "$tmp/echo-bot.log" 2>&1 &
  echo_pid=$!
  trap "kill $opsbot_pid $echo_pid 2>/dev/null || true; wait $opsbot_pid $echo_pid 2>/dev/null || true; rm -rf '$tmp'" RETURN
  wait_http "http://127.0.0.1:$opsbot_port/healthz"
  wait_http "http://127.0.0.1:$echo_port/api/messages"
  local load
  load=$(cut -d' ' -f1-3 /proc/loadavg)

  dotnet bench/OpsBot.LoadDriver/bin/Release/net10.0/OpsBot.LoadDriver.dll \
    --target "OpsBot=http://127.0.0.1:$opsbot_port/api/messages@$opsbot_pid" \
    --target "botbuilder JS=http://127.0.0.1:$echo_port/api/messages@$echo_pid" \
    --connections 20 --warmup "${WARMUP:-5}" --duration "${DURATION:-15}" --out "$tmp/table.md"
  {
    echo "# /api/messages throughput: OpsBot vs botbuilder JS"
    echo
    echo "\`bench/run.sh\` (\`./build.sh bench\`): OpsBot (Release, SQLite, auth off) answers the hidden \`ping\` command with \"pong\";"
    echo "the reference is \`bench/echo-bot/index.mjs\` (botbuilder $(node -p "require('./tests/peers/node_modules/botbuilder/package.json').version") CloudAdapter + TeamsActivityHandler, Node $(node --version))."
    echo "Both are driven by \`bench/OpsBot.LoadDriver\` in the same run: 20 keep-alive connections POSTing a Teams-shaped personal"
    echo "message activity (unique id each) back to back; every reply goes to the driver's loopback fake Bot Connector."
    echo "Latency is the full HTTP round trip of the inbound POST, which for both bots includes sending the reply."
    echo "Peak RSS is \`VmHWM\` from \`/proc/<pid>/status\` at the end of each server's run. Targets: ≥ 3× RPS, p99 < 50 ms, less memory."
    echo "Load average when the run started: $load (other work on this machine shares its cores with both servers alike)."
    echo
    cat "$tmp/table.md"
    cat <<'NOTES'

## Notes
- OpsBot's outbound pacing (Teams' 50 requests/s per app per tenant, 7/s per conversation) is switched off for this run
  (`Bot:RateLimits:Enabled=false`): every message comes from one tenant, so with pacing on OpsBot would — correctly — reply at
  50/s whatever its capacity, while the echo bot does not pace at all. Pacing is verified by the O6 and dispatcher tests.
- Per request OpsBot parses the activity, refreshes the conversation reference (an unchanged reference is a memory lookup, no
  database round trip), routes `ping`, and POSTs the reply to the connector before answering 200 — the same work as the echo bot.
  Inbound JWT validation is off for both; the persisted redelivery check (idempotency record per activity) is not part of this
  branch's measurement and adds one database write per message when merged.
- The botbuilder JS bot spends most of its time building a connector client per turn; it is measured as shipped (empty app id).
- Memory: OpsBot's peak RSS is roughly 82 MB of mapped framework and application assemblies (file-backed, shared between
  .NET processes), about 30 MB of W^X double-mapped JIT code, and 40–75 MB of anonymous memory, mostly the gen0 allocation budget
  that workstation GC sizes from the 32 MB L3 cache. Tried: `DOTNET_GCgen0size=0x400000` (−15…−25 MB), `DOTNET_GCHeapHardLimit`
  64 MB (−25 MB), tiered compilation off (−5…−20 MB), server GC with DATAS (no better); none brings it under the Node process,
  so the memory target is not met. OpsBot runs workstation, non-concurrent GC (`OpsBot.csproj`), which did better than server GC
  on these 2 cores in both throughput and footprint.
- Absolute numbers depend heavily on what else runs on the machine (see the load average above); compare the two rows of one run.
NOTES
  } > bench/results/messages-throughput.md
  echo "wrote bench/results/messages-throughput.md"
}

# Every benchmark, or the ones named: ./build.sh bench [messages|cards|commitments|escalations|alerts]
run_all=("${@:-messages cards commitments escalations alerts}")
for b in ${run_all[@]}; do
  case "$b" in
    messages) messages_throughput ;;
    cards) bash bench/card-expansion.sh ;;
    commitments) bash bench/commitment-capture.sh ;;
    escalations) dotnet run -c Release --project bench/EscalationLoad -- 50 10 bench/results/escalation-card-action.md ;;
    alerts) dotnet run -c Release --project bench/AlertFanout -- "${FANOUT_CONVERSATIONS:-10000}" 20 ;;
    *) echo "unknown benchmark '$b' (messages, cards, commitments, escalations, alerts)" >&2; exit 2 ;;
  esac
done

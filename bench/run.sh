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
    echo "Peak RSS is \`VmHWM\` from \`/proc/<pid>/status\` at the end of each server's run. CPU ms/request is the server process's user + system"
    echo "CPU time (\`/proc/<pid>/stat\`) over the measured window divided by its requests; it is far less sensitive to other load than RPS."
    echo "Targets: ≥ 3× RPS, p99 < 50 ms, less memory."
    echo "Load average when the run started: $load (other work on this machine shares its cores with both servers alike)."
    echo
    cat "$tmp/table.md"
    cat <<'NOTES'

## Notes
- OpsBot runs from its build output with `--contentRoot` on that folder, as a deployment does, so its shipped `appsettings.json`
  applies: Production log levels (framework categories, Polly included, at Warning) and the JSON console formatter. Nothing is
  logged per request.
- OpsBot's outbound pacing (Teams' 50 requests/s per app per tenant, 7/s per conversation) is switched off for this run
  (`Bot:RateLimits:Enabled=false`): every message comes from one tenant, so with pacing on OpsBot would — correctly — reply at
  50/s whatever its capacity, while the echo bot does not pace at all. Pacing is verified by the O6 and dispatcher tests.
- Per request OpsBot parses the activity, claims its redelivery record (one `ProcessedActivities` row per activity, so a
  redelivery has no second effect, also after a restart), refreshes the conversation reference (an unchanged reference is a
  memory lookup, no database round trip), routes `ping`, and POSTs the reply to the connector before answering 200 — the echo
  bot's work plus the durable redelivery record, which the echo bot does not keep.
- The redelivery record is written by a group-commit writer (`Conversations/InboundActivityWriter.cs`, SQLite and PostgreSQL):
  concurrent requests queue their claims and one writer commits everything pending in one transaction on its own connection
  (prepared `INSERT … ON CONFLICT DO NOTHING`, no EF change tracking). Each request waits for its batch's commit before its
  turn starts, so the record is exactly as durable as with one transaction per activity (SQLite: WAL, `synchronous=NORMAL`).
  A plain message has no answer to replay, so it gets no completion update; invoke and expectReplies answers are stored through
  the same writer, which commits what is still queued at shutdown after the running turns have finished.
- The botbuilder JS bot spends most of its time building a connector client per turn; it is measured as shipped (empty app id).
- Runtime settings of `src/OpsBot/Runtime.props` (imported by `OpsBot.csproj` and written to its runtimeconfig, so
  `dotnet run --project src/OpsBot` uses them too): workstation non-concurrent GC; `System.GC.Gen0MaxBudget` 16 MB, since
  workstation GC otherwise sizes the gen0 budget from the L3 cache (`System.GC.Gen0Size` in runtimeconfig is not honoured by .NET 10, only the `DOTNET_GCgen0size` environment
  variable); TieredPGO off; QuickJit off, so methods without ReadyToRun code are compiled optimized once instead of at tier 0
  and again under load (start-up costs about 2 s more CPU). The remaining peak RSS is mostly file-backed framework and
  application assemblies and native libraries (shared between processes), JIT code and loader heaps, and a few tens of MB of
  anonymous memory. Tried and not kept: W^X off (no RSS change), tiered compilation off (more CPU per request than QuickJit
  off), a 4 or 6 MB gen0 budget (no lower peak than 16 MB, but 2.5× the collections, which raised the card-action and capture
  p95s by a third), 32 MB (about 10 MB more peak RSS), `GCHeapHardLimit` (an out-of-memory risk for card rendering and Graph
  sync), server GC with DATAS (worse on 2 cores).
- Absolute numbers depend heavily on what else runs on the machine (see the load average above); compare the two rows of one run.
NOTES
  } > bench/results/messages-throughput.md
  echo "wrote bench/results/messages-throughput.md"
}

# Every benchmark, or the ones named: ./build.sh bench [messages|cards|commitments|escalations|alerts [clean|faults|restarts]|customers|boards|metrics]
run_all=(${@:-messages cards commitments escalations alerts customers boards metrics})
for ((i = 0; i < ${#run_all[@]}; i++)); do
  b=${run_all[$i]}
  case "$b" in
    messages) messages_throughput ;;
    cards) bash bench/card-expansion.sh ;;
    commitments) bash bench/commitment-capture.sh ;;
    escalations) dotnet run -c Release --project bench/EscalationLoad -- 50 10 bench/results/escalation-card-action.md ;;
    alerts)
      # Alert fan-out modes (bench/results/alert-fanout.md): the words after "alerts", default all three.
      modes=()
      while [[ "${run_all[$((i + 1))]:-}" =~ ^(clean|faults|restarts)$ ]]; do i=$((i + 1)); modes+=("${run_all[$i]}"); done
      dotnet run -c Release --project bench/AlertFanout -- "${modes[@]:-all}" "${FANOUT_CONVERSATIONS:-10000}" 20 ;;
    customers) dotnet run -c Release --project bench/CustomerLoad -- "${CUSTOMERS:-100000}" bench/results/customers.md ;;
    # Live boards (issue #16): OpsBot as its own process (Release build of src/OpsBot, built with BoardLoad), SQLite and PostgreSQL.
    boards) dotnet run -c Release --project bench/BoardLoad -- bench/results/boards.md "${BOARD_STREAMS:-500}" "${BOARD_MEMORY_STREAMS:-2000}" ;;
    metrics) dotnet run -c Release --project bench/MetricsLoad -- bench/results/metrics.md ;;
    *) echo "unknown benchmark '$b' (messages, cards, commitments, escalations, alerts, customers, boards, metrics)" >&2; exit 2 ;;
  esac
done

#!/usr/bin/env bash
# OpsBot developer entry point.
#   ./build.sh test         restore, install test peers (PostgreSQL, Chromium, npm packages) when missing, run every test
#   ./build.sh migration N  add the named migration N for all three providers after a model change (never edit Initial)
#   ./build.sh gallery      render every card to docs/cards/*.png
#   ./build.sh screenshots  the board TV page and Teams tab in headless Chromium to docs/boards/*.png
#   ./build.sh bench [name] run the benchmarks (all, or messages|cards|commitments|escalations|alerts [clean|faults|restarts]|customers|boards|metrics), results in bench/results/
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

say() { printf '\n==> %s\n' "$*"; }

need_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_test_prerequisites() {
  local missing=()
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
  if [ ${#missing[@]} -gt 0 ]; then
    say "Installing ${missing[*]} (Debian packages)"
    need_root apt-get update -qq
    need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if [ -f tests/peers/package-lock.json ]; then
    # A symlinked node_modules is a shared install managed elsewhere: npm ci would empty it through the link.
    if [ ! -L tests/peers/node_modules ] && { [ ! -d tests/peers/node_modules ] || [ tests/peers/package-lock.json -nt tests/peers/node_modules/.package-lock.json ]; }; then
      say "Installing npm peer tools (npm ci)"
      (cd tests/peers && npm ci --no-audit --no-fund --loglevel=error)
    fi
  fi
}

case "${1:-}" in
  test)
    install_test_prerequisites
    say "Building"
    dotnet build OpsBot.sln -c Release -nologo -clp:ErrorsOnly
    say "Running tests"
    log=$(mktemp)
    set +e
    dotnet test OpsBot.sln -c Release --no-build -nologo --logger "console;verbosity=normal" -- RunConfiguration.TestSessionTimeout=1500000 | tee "$log"
    status=${PIPESTATUS[0]}
    set -e
    passed=$(awk '/^[ \t]+Passed: [0-9]+/ {s+=$2} END {print s+0}' "$log")
    failed=$(awk '/^[ \t]+Failed: [0-9]+/ {s+=$2} END {print s+0}' "$log")
    skipped=$(awk '/^[ \t]+Skipped: [0-9]+/ {s+=$2} END {print s+0}' "$log")
    if [ "$failed" -gt 0 ]; then
      # CI shows only the end of the output: repeat each failure's name and first lines of its message here.
      echo
      echo "Failed tests:"
      awk '/^[ \t]+Failed [A-Za-z_]/ {n=12} n>0 {print; n--}' "$log" | grep -v '^{"Timestamp"' | cut -c1-400
    fi
    rm -f "$log"
    echo
    echo "$passed passed, $failed failed, $skipped skipped"
    exit "$status"
    ;;
  migration)
    name="${2:-}"
    if [[ ! "$name" =~ ^[A-Z][A-Za-z0-9]+$ ]]; then echo "usage: ./build.sh migration <PascalCaseName>  (e.g. CustomerIdentity)" >&2; exit 2; fi
    dotnet tool restore >/dev/null
    for p in Sqlite Postgres SqlServer; do
      dotnet ef migrations add "$name" --project src/OpsBot --context "${p}OpsBotDbContext" --output-dir "Data/Migrations/$p"
    done
    ;;
  gallery)
    install_test_prerequisites
    node tests/peers/render-gallery.mjs
    ;;
  screenshots)
    install_test_prerequisites
    dotnet build tests/OpsBot.Tests/OpsBot.Tests.csproj -c Release -nologo -clp:ErrorsOnly
    OPSBOT_WRITE_SCREENSHOTS=1 dotnet test tests/OpsBot.Tests/OpsBot.Tests.csproj -c Release --no-build -nologo \
      --filter "FullyQualifiedName~BoardBrowserTests.The_page_fits|FullyQualifiedName~BoardBrowserTests.The_tab_signs_in"
    ls -l docs/boards
    ;;
  bench)
    install_test_prerequisites
    shift
    bash bench/run.sh "$@"
    ;;
  *)
    sed -n '2,8p' "$0"; exit 2 ;;
esac

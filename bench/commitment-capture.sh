#!/usr/bin/env bash
# Commitment capture load test: 20 concurrent reps on SQLite; writes bench/results/commitment-capture.md (~30 s).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet run -c Release --project bench/CommitmentLoad -- "${1:-20}" "${2:-25}" bench/results/commitment-capture.md

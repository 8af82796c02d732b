#!/usr/bin/env bash
# Install everything the tests need, then run them: fast tests, the real-model
# tier, the browser tests and the evaluation gate. Used by CI (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
# CPU torch first (an unpinned torch resolves to a 5 GB CUDA build), for the
# sentence-transformers path; then the project with its test extras.
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q torch==2.13.0
.venv/bin/pip install -q -e '.[test]'

# Debian Chromium and CJK fonts for the browser tests (never `playwright install`).
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || ! fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei"; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-wqy-microhei >/dev/null
  else
    echo "note: run as root (or install chromium and fonts-noto-cjk) for the browser tests" >&2
  fi
fi

export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False NO_PROXY=localhost,127.0.0.1
.venv/bin/python -m pytest "$@"
if [ -f eval/evaluate.py ]; then
  # --quiet: the test questions are only scored; their misses are not printed for anyone to tune on
  # Both libraries' test parts: the default one and library2 (built into index/library2 on first use).
  .venv/bin/python eval/evaluate.py --split test --gate --quiet --no-chart
  .venv/bin/python eval/evaluate.py --library library2 --split test --gate --quiet --no-chart --retrievers hybrid
  # The same gate on the Milvus backend (Milvus Lite, from the milvus extra): the figures must not depend on the store.
  .venv/bin/python eval/evaluate.py --split test --gate --quiet --no-chart --retrievers hybrid --backend milvus
fi

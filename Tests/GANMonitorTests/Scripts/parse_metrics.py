#!/usr/bin/env python3
"""Parses Prometheus text exposition files with prometheus_client's own parser and prints, as
JSON, each family's type and samples: {family: {"type": T, "samples": [[name, labels, value]]}}.
A file the parser rejects is an error (exit 1). Exit 2 when prometheus_client is missing.

usage: parse_metrics.py FILE...   (prints one JSON object per file, one per line)
"""
import json
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("SKIP: the Python package prometheus-client is missing (scripts/setup should install it: pip install prometheus-client)")
    sys.exit(2)

for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    out = {}
    try:
        for fam in text_string_to_metric_families(text):
            out[fam.name] = {"type": fam.type, "help": fam.documentation,
                             "samples": [[s.name, s.labels, s.value] for s in fam.samples]}
    except Exception as e:  # the parser's own complaint is the test's message
        print(f"{path}: not valid exposition text: {e}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(out))

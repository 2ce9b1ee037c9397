#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Reads what `busctl monitor --json=short` wrote and answers questions
about the signals in it, for podcam's shell tests.

  busmon.py FILE count MEMBER [ARG=VALUE...]
  busmon.py FILE wait SECONDS MEMBER [ARG=VALUE...]   prints the payload
  busmon.py FILE list MEMBER [ARG=VALUE...]           one payload per line

ARG is the argument's index; a payload is printed as a JSON list.
"""
import json
import sys
import time


def signals(path, member, conds):
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                m = json.loads(line)
            except ValueError:
                continue  # a line still being written
            if m.get("type") != "signal" or m.get("member") != member:
                continue
            data = m.get("payload", {}).get("data", [])
            if all(i < len(data) and str(data[i]) == v for i, v in conds):
                out.append(data)
    return out


def main():
    path, cmd = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    timeout = 0.0
    if cmd == "wait":
        timeout, args = float(args[0]), args[1:]
    member = args[0]
    conds = []
    for a in args[1:]:
        i, v = a.split("=", 1)
        conds.append((int(i), v))
    deadline = time.monotonic() + timeout
    while True:
        found = signals(path, member, conds)
        if cmd == "count":
            print(len(found))
            return 0
        if cmd == "list":
            for d in found:
                print(json.dumps(d))
            return 0
        if found:
            print(json.dumps(found[0]))
            return 0
        if time.monotonic() >= deadline:
            return 1
        time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main())

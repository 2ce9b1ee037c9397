#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Checks podcam-upload's promise: nothing lost, nothing removed early.

    spool-check.py check SPOOL SERVER_DIR MANIFEST [--final]
        MANIFEST has "ID SHA256" lines (spool-put --manifest). For every
        photo: either still queued and intact, or (in trash/ or gone) on
        the server as ID.jpg with that sha256 and ID.json naming that id
        and sha256; never in quarantine. With --final every photo
        must be gone locally and on the server, and the server must hold
        nothing else. Prints what is wrong and exits 1.
"""
import hashlib
import json
import os
import sys


def sha(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def meta_ok(path, pid, jsha):
    try:
        with open(path) as f:
            m = json.load(f)
        return m.get('photo_id') == pid and m.get('sha256') == jsha
    except (OSError, ValueError):
        return False


def check(spool, server, manifest, final):
    bad = []
    photos = [line.split() for line in open(manifest) if line.strip()]
    for pid, jsha in photos:
        q = os.path.join(spool, 'queue', pid)
        on_server = [os.path.join(server, pid + s) for s in ('.jpg', '.json')]
        if os.path.exists(os.path.join(spool, 'quarantine', pid)):
            bad.append('%s: quarantined' % pid)
            continue
        if os.path.isdir(q):
            if final:
                bad.append('%s: still queued' % pid)
            try:
                if (sha(os.path.join(q, 'photo.jpg')) != jsha or
                        not meta_ok(os.path.join(q, 'meta.json'), pid, jsha)):
                    bad.append('%s: queued but changed' % pid)
            except OSError as e:
                bad.append('%s: queued but damaged: %s' % (pid, e))
            continue
        # In trash/ or gone: it must have been confirmed.
        for path in on_server:
            if not os.path.exists(path):
                bad.append('%s: removed locally but %s is not on the server'
                           % (pid, os.path.basename(path)))
        if os.path.exists(on_server[0]) and sha(on_server[0]) != jsha:
            bad.append('%s: the JPEG on the server has the wrong sha256' % pid)
        if os.path.exists(on_server[1]) and not meta_ok(on_server[1], pid,
                                                        jsha):
            bad.append('%s: the JSON on the server is wrong' % pid)
        if final and os.path.exists(os.path.join(spool, 'trash', pid)):
            bad.append('%s: left in trash/' % pid)
    if final and os.path.isdir(server):
        known = set()
        for p in photos:
            known.update((p[0] + '.jpg', p[0] + '.json'))
        for name in os.listdir(server):
            if name not in known:
                bad.append('unexpected object on the server: %s' % name)
    for b in bad[:20]:
        print('# ' + b)
    return 1 if bad else 0


def main():
    if len(sys.argv) in (5, 6) and sys.argv[1] == 'check':
        return check(sys.argv[2], sys.argv[3], sys.argv[4],
                     sys.argv[5:] == ['--final'])
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main())

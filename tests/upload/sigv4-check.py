#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Recomputes the AWS Signature Version 4 of requests as S3 would.

    sigv4-check.py HEAD_DIR FAULT_LOG KEY_ID SECRET REGION

HEAD_DIR holds request heads (fault-server --dump), FAULT_LOG its request
log. For every request: the signature matches one computed here with
SECRET over the signed headers (each of them sent), the credential scope
names KEY_ID, REGION and s3, host and x-amz-content-sha256 are signed,
x-amz-content-sha256 is the body's sha256 and x-amz-checksum-sha256 its
base64. s3rver does not check signatures, so this does. Prints what is
wrong, exits 1.
"""
import base64
import hashlib
import hmac
import os
import sys


def hmac256(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def check(head, bodies, key_id, secret, region):
    lines = head.split('\r\n')
    method, path = lines[0].split(' ')[:2]
    hdr = {}
    for line in lines[1:]:
        if line:
            k, v = line.split(':', 1)
            hdr[k.strip().lower()] = ' '.join(v.split())
    algo, rest = hdr['authorization'].split(' ', 1)
    parts = dict(p.strip().split('=', 1) for p in rest.split(','))
    scope = parts['Credential'].split('/')
    signed = parts['SignedHeaders'].split(';')
    missing = [k for k in signed if k not in hdr]
    if missing:
        # S3 computes the signature over what it received.
        return ['%s %s: signed but not sent: %s' % (method, path,
                                                    ', '.join(missing))]
    canonical = '\n'.join([
        method, path, '',
        ''.join('%s:%s\n' % (k, hdr[k]) for k in signed),
        ';'.join(signed), hdr['x-amz-content-sha256']])
    to_sign = '\n'.join([
        'AWS4-HMAC-SHA256', hdr['x-amz-date'], '/'.join(scope[1:]),
        hashlib.sha256(canonical.encode()).hexdigest()])
    k = hmac256(('AWS4' + secret).encode(), scope[1])
    for part in (scope[2], scope[3], 'aws4_request'):
        k = hmac256(k, part)
    want = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    body = bodies.get(path)
    problems = []
    if algo != 'AWS4-HMAC-SHA256' or parts['Signature'] != want:
        problems.append('signature does not match')
    if scope[0] != key_id or scope[2] != region or scope[3] != 's3':
        problems.append('credential scope %s' % parts['Credential'])
    if 'host' not in signed or 'x-amz-content-sha256' not in signed:
        problems.append('signed headers %s' % parts['SignedHeaders'])
    if body is None or hdr['x-amz-content-sha256'] != body:
        problems.append('x-amz-content-sha256 is not the body sha256')
    elif (hdr.get('x-amz-checksum-sha256') !=
          base64.b64encode(bytes.fromhex(body)).decode()):
        problems.append('x-amz-checksum-sha256 is not the body digest')
    return ['%s %s: %s' % (method, path, p) for p in problems]


def main():
    heads, log, key_id, secret, region = sys.argv[1:6]
    bodies = {}
    for line in open(log):
        f = line.split()
        bodies[f[4]] = f[6]
    bad, n = [], 0
    for name in sorted(os.listdir(heads)):
        with open(os.path.join(heads, name), newline='') as f:
            bad += check(f.read(), bodies, key_id, secret, region)
        n += 1
    for b in bad:
        print('# ' + b)
    print('# %d requests, %d problems' % (n, len(bad)))
    return 1 if bad or n == 0 else 0


sys.exit(main())

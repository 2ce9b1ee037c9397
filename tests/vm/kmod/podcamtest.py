#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Helpers for tests/vm/kmod.sh, inside the VM (python3 without extras).

  stream DEV COUNT [BUFFERS [SLEEP]]   MMAP capture, prints one key=value line
  block DEV                            DQBUF until it blocks, report the error
  grab DEV OUT                         one frame (after two) into a file
  tryfmt DEV FOURCC W H                VIDIOC_TRY_FMT, prints the result
  lapvar FRAME W H FOURCC              Laplacian variance of the centre luma
  meany FRAME W H FOURCC               mean luma
  mkppm OUT W H                        the test pattern as a binary PPM
  compare FRAME W H FOURCC PPM         frame against docs/kmod.md's conversion
  upload PATH PPM CUT GO               write CUT bytes of PPM, wait for the
                                       file GO, write the rest, close

The V4L2 structures are laid out for x86-64.
"""

import errno
import fcntl
import mmap
import os
import struct
import sys
import time


def _ioc(direction, nr, size):
    return (direction << 30) | (size << 16) | (ord('V') << 8) | nr


BUFFER = struct.Struct('<IIIII4xqq16sIIQIII4x')
VIDIOC_G_FMT = _ioc(3, 4, 208)
VIDIOC_TRY_FMT = _ioc(3, 64, 208)
VIDIOC_REQBUFS = _ioc(3, 8, 20)
VIDIOC_QUERYBUF = _ioc(3, 9, BUFFER.size)
VIDIOC_QBUF = _ioc(3, 15, BUFFER.size)
VIDIOC_DQBUF = _ioc(3, 17, BUFFER.size)
VIDIOC_STREAMON = _ioc(1, 18, 4)
VIDIOC_STREAMOFF = _ioc(1, 19, 4)
CAPTURE = 1
MEMORY_MMAP = 1
FLAG_TIMESTAMP_MONOTONIC = 0x2000
NV12 = 0x3231564e


def buffer(index=0):
    return bytearray(BUFFER.pack(index, CAPTURE, 0, 0, 0, 0, 0, b'', 0,
                                 MEMORY_MMAP, 0, 0, 0, 0))


class Capture:
    def __init__(self, dev, count):
        self.fd = os.open(dev, os.O_RDWR)
        fmt = bytearray(208)
        struct.pack_into('<I', fmt, 0, CAPTURE)
        fcntl.ioctl(self.fd, VIDIOC_G_FMT, fmt)
        (self.width, self.height, self.fourcc, _, _,
         self.size) = struct.unpack_from('<IIIIII', fmt, 8)
        req = bytearray(struct.pack('<IIIIB3x', count, CAPTURE, MEMORY_MMAP,
                                    0, 0))
        fcntl.ioctl(self.fd, VIDIOC_REQBUFS, req)
        self.maps = []
        for i in range(struct.unpack_from('<I', req)[0]):
            b = buffer(i)
            fcntl.ioctl(self.fd, VIDIOC_QUERYBUF, b)
            f = BUFFER.unpack(b)
            self.maps.append(mmap.mmap(self.fd, f[11], mmap.MAP_SHARED,
                                       mmap.PROT_READ,
                                       offset=f[10] & 0xffffffff))
            fcntl.ioctl(self.fd, VIDIOC_QBUF, b)

    def start(self):
        fcntl.ioctl(self.fd, VIDIOC_STREAMON, struct.pack('<I', CAPTURE))

    def dqbuf(self):
        b = buffer()
        fcntl.ioctl(self.fd, VIDIOC_DQBUF, b)
        f = BUFFER.unpack(b)
        return {'buf': b, 'index': f[0], 'bytesused': f[2], 'flags': f[3],
                'ts': f[5] + f[6] / 1e6, 'sequence': f[8]}

    def qbuf(self, frame):
        fcntl.ioctl(self.fd, VIDIOC_QBUF, frame['buf'])

    def close(self):
        fcntl.ioctl(self.fd, VIDIOC_STREAMOFF, struct.pack('<I', CAPTURE))
        for m in self.maps:
            m.close()
        os.close(self.fd)


def cmd_stream(dev, count, buffers=4, sleep=0.0):
    """Streams COUNT frames; with SLEEP the consumer is slow on purpose."""
    cap = Capture(dev, int(buffers))
    cap.start()
    frames = []
    start = time.monotonic()
    for _ in range(int(count)):
        f = cap.dqbuf()
        f['wall'] = time.monotonic()
        frames.append(f)
        if float(sleep):
            time.sleep(float(sleep))
        cap.qbuf(f)
    cap.close()
    seq = [f['sequence'] for f in frames]
    ts = [f['ts'] for f in frames]
    gapfree = seq == list(range(seq[0], seq[0] + len(seq)))
    monotonic = all(b > a for a, b in zip(ts, ts[1:]))
    span = ts[-1] - ts[0]
    wall = frames[-1]['wall'] - frames[0]['wall']
    print('frames=%d first_seq=%d gapfree=%d monotonic=%d tsflag=%d '
          'bytesused_ok=%d fps=%.2f wall_fps=%.2f first_frame_s=%.2f' % (
              len(frames), seq[0], gapfree, monotonic,
              all(f['flags'] & FLAG_TIMESTAMP_MONOTONIC for f in frames),
              all(f['bytesused'] == cap.size for f in frames),
              (len(ts) - 1) / span if span > 0 else 0,
              (len(ts) - 1) / wall if wall > 0 else 0,
              frames[0]['wall'] - start))


def cmd_block(dev):
    """Takes every buffer without queueing one back, then DQBUF blocks."""
    cap = Capture(dev, 2)
    cap.start()
    for _ in range(2):
        cap.dqbuf()
    print('blocked', flush=True)
    try:
        cap.dqbuf()
    except OSError as e:
        print('dqbuf-error=%s' % errno.errorcode.get(e.errno, e.errno),
              flush=True)
        return 0
    print('dqbuf returned a buffer', flush=True)
    return 1


def cmd_grab(dev, out):
    cap = Capture(dev, 3)
    cap.start()
    for _ in range(2):
        cap.qbuf(cap.dqbuf())
    f = cap.dqbuf()
    data = cap.maps[f['index']][:f['bytesused']]
    cap.close()
    with open(out, 'wb') as fh:
        fh.write(data)


def cmd_tryfmt(dev, fourcc, width, height):
    fd = os.open(dev, os.O_RDWR)
    fmt = bytearray(208)
    struct.pack_into('<I', fmt, 0, CAPTURE)
    struct.pack_into('<II4sI', fmt, 8, int(width), int(height),
                     fourcc.encode(), 0)
    fcntl.ioctl(fd, VIDIOC_TRY_FMT, fmt)
    os.close(fd)
    (w, h, pixfmt, field, bpl, size, colorspace, _, _, enc, quant,
     xfer) = struct.unpack_from('<II4s9I', fmt, 8)
    print('fourcc=%s width=%d height=%d field=%d bytesperline=%d '
          'sizeimage=%d colorspace=%d ycbcr_enc=%d quantization=%d '
          'xfer_func=%d' % (pixfmt.decode(), w, h, field, bpl, size,
                            colorspace, enc, quant, xfer))


def luma(frame, width, height, fourcc):
    """Luma rows of a raw NV12 or YUYV frame."""
    if fourcc == 'NV12':
        return [frame[y * width:(y + 1) * width] for y in range(height)]
    return [frame[y * width * 2:(y + 1) * width * 2:2] for y in range(height)]


def cmd_lapvar(path, width, height, fourcc):
    width, height = int(width), int(height)
    rows = luma(open(path, 'rb').read(), width, height, fourcc)
    x0, x1 = width // 4, 3 * width // 4
    total = total2 = n = 0
    for y in range(height // 4, 3 * height // 4):
        up, row, down = rows[y - 1], rows[y], rows[y + 1]
        for x in range(x0, x1):
            v = (up[x] + down[x] + row[x - 1] + row[x + 1] - 4 * row[x])
            total += v
            total2 += v * v
            n += 1
    print('%.1f' % (total2 / n - (total / n) ** 2))


def cmd_meany(path, width, height, fourcc):
    width, height = int(width), int(height)
    rows = luma(open(path, 'rb').read(), width, height, fourcc)
    print('%.1f' % (sum(sum(r) for r in rows) / (width * height)))


def pattern_row(width, height, y):
    """Gradients with hard edges and fine detail, so that every channel,
    every position and chroma subsampling matter."""
    out = bytearray(width * 3)
    for x in range(width):
        r = x * 255 // (width - 1)
        g = y * 255 // (height - 1)
        b = (x * 7 + y * 13) & 255
        if (x // 16 + y // 16) & 1:
            r, g = 255 - r, 255 - g
        out[3 * x:3 * x + 3] = bytes((r, g, b))
    return out


def cmd_mkppm(out, width, height):
    width, height = int(width), int(height)
    with open(out, 'wb') as fh:
        fh.write(b'P6\n# podcam test pattern\n%d %d\n255\n' % (width, height))
        if width * height > 1000000:
            # Big images: a cheap pattern, still different at every pixel.
            row = bytes((i * 7 + (i // 3)) & 255 for i in range(width * 3))
            for y in range(height):
                k = y % (width * 3)
                fh.write(row[k:] + row[:k])
        else:
            for y in range(height):
                fh.write(pattern_row(width, height, y))


def read_ppm(path):
    data = open(path, 'rb').read()
    fields, pos = [], 2
    while len(fields) < 3:
        while data[pos:pos + 1].isspace() or data[pos:pos + 1] == b'#':
            if data[pos:pos + 1] == b'#':
                pos = data.index(b'\n', pos)
            pos += 1
        end = pos
        while data[end:end + 1].isdigit():
            end += 1
        fields.append(int(data[pos:end]))
        pos = end
    return fields[0], fields[1], data[pos + 1:]


def expected_planes(ppm, width, height):
    """docs/kmod.md: nearest-neighbour scaling, integer BT.601 limited."""
    iw, ih, rgb = read_ppm(ppm)
    xmap = [(2 * x + 1) * iw // (2 * width) for x in range(width)]
    ys, cbs, crs = [], [], []
    for y in range(height):
        base = ((2 * y + 1) * ih // (2 * height)) * iw * 3
        px = [(rgb[base + 3 * sx], rgb[base + 3 * sx + 1],
               rgb[base + 3 * sx + 2]) for sx in xmap]
        ys.append(bytes(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16
                        for r, g, b in px))
        cbs.append([((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128
                    for r, g, b in px])
        crs.append([((112 * r - 94 * g - 18 * b + 128) >> 8) + 128
                    for r, g, b in px])
    return ys, cbs, crs


def cmd_compare(path, width, height, fourcc, ppm):
    """Prints the largest luma and chroma differences to the expectation."""
    width, height = int(width), int(height)
    frame = open(path, 'rb').read()
    ys, cbs, crs = expected_planes(ppm, width, height)
    dy = dc = 0
    for y, (want, got) in enumerate(zip(ys, luma(frame, width, height,
                                                 fourcc))):
        if want != got:
            dy = max(dy, max(abs(a - b) for a, b in zip(want, got)))
    if fourcc == 'NV12':
        uv = frame[width * height:]
        for y in range(0, height, 2):
            row = uv[(y // 2) * width:(y // 2 + 1) * width]
            for x in range(0, width, 2):
                cb = (cbs[y][x] + cbs[y][x + 1] + cbs[y + 1][x] +
                      cbs[y + 1][x + 1] + 2) >> 2
                cr = (crs[y][x] + crs[y][x + 1] + crs[y + 1][x] +
                      crs[y + 1][x + 1] + 2) >> 2
                dc = max(dc, abs(row[x] - cb), abs(row[x + 1] - cr))
    else:
        for y in range(height):
            row = frame[y * width * 2:(y + 1) * width * 2]
            for x in range(0, width, 2):
                cb = (cbs[y][x] + cbs[y][x + 1] + 1) >> 1
                cr = (crs[y][x] + crs[y][x + 1] + 1) >> 1
                dc = max(dc, abs(row[2 * x + 1] - cb),
                         abs(row[2 * x + 3] - cr))
    print('luma_maxdiff=%d chroma_maxdiff=%d' % (dy, dc))


def cmd_upload(path, ppm, cut, go):
    """A partial upload that stays open: for unbinding in the middle."""
    data = open(ppm, 'rb').read()
    fd = os.open(path, os.O_WRONLY)
    os.write(fd, data[:int(cut)])
    print('written', flush=True)
    while not os.path.exists(go):
        time.sleep(0.1)
    try:
        os.write(fd, data[int(cut):])
        print('write-ok', flush=True)
    except OSError as e:
        print('write-error=%s' % errno.errorcode.get(e.errno, e.errno),
              flush=True)
    try:
        os.close(fd)
        print('close-ok', flush=True)
    except OSError as e:
        print('close-error=%s' % errno.errorcode.get(e.errno, e.errno),
              flush=True)


def main():
    commands = {name[4:]: fn for name, fn in globals().items()
                if name.startswith('cmd_')}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    sys.exit(commands[sys.argv[1]](*sys.argv[2:]) or 0)


if __name__ == '__main__':
    main()

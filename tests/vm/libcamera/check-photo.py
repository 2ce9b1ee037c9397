#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks one photo podcamd committed to the spool and prints TAP lines.

  check-photo.py SPOOL PHOTO_ID NAME [key=value...]

keys: tracking=ID trigger=KIND camera=ROLE width=W height=H
      lat=DEG lon=DEG mask=X,Y,WxH

What is checked: the entry is in queue/ with photo.jpg and meta.json owned
by the podcam user, mode 0600; meta.json has every field of docs/spool.md
with the expected values and the sha256 of photo.jpg; the JPEG decodes
(ffmpeg) to the size in meta.json and shows a picture (not one flat
colour); EXIF (exiftool) has ImageUniqueID = the photo id, Make, Model,
DateTimeOriginal, SubSecTimeOriginal, OffsetTimeOriginal and GPS when a
fix was given; a privacy mask is black in the decoded picture.
"""
import hashlib
import json
import os
import pwd
import re
import subprocess
import sys

failed = False


def report(ok, what, why=""):
    global failed
    if ok:
        print(f"ok - {NAME}: {what}")
    else:
        failed = True
        print(f"not ok - {NAME}: {what}")
        if why:
            print(f"# {why}")


def gray(path, width, height):
    """The picture as 8-bit luma, row by row, or None."""
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo",
                        "-pix_fmt", "gray", "-"], capture_output=True)
    if r.returncode != 0 or len(r.stdout) != width * height:
        print(f"# ffmpeg: {r.stderr.decode(errors='replace').strip()} "
              f"({len(r.stdout)} bytes)")
        return None
    return r.stdout


def region_stats(pix, width, x, y, w, h):
    vals = [pix[row * width + col] for row in range(y, y + h, 2)
            for col in range(x, x + w, 2)]
    mean = sum(vals) / len(vals)
    return mean, min(vals), max(vals)


def main():
    global NAME
    spool, photo_id, NAME = sys.argv[1:4]
    want = dict(a.split("=", 1) for a in sys.argv[4:])
    entry = os.path.join(spool, "queue", photo_id)
    jpeg = os.path.join(entry, "photo.jpg")
    meta_path = os.path.join(entry, "meta.json")

    report(os.path.isfile(jpeg) and os.path.isfile(meta_path),
           "photo.jpg and meta.json are in queue/", entry)
    if failed:
        return 1
    uid = pwd.getpwnam("podcam").pw_uid
    modes = {p: os.stat(p) for p in (jpeg, meta_path)}
    report(all(s.st_uid == uid and s.st_mode & 0o777 == 0o600
               for s in modes.values()),
           "files are the podcam user's, 0600",
           " ".join(f"{oct(s.st_mode)} {s.st_uid}" for s in modes.values()))

    with open(meta_path, encoding="utf-8") as f:
        meta = json.load(f)
    with open(jpeg, "rb") as f:
        data = f.read()
    checks = {
        "photo_id": photo_id,
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    for key, field in (("tracking", "tracking_id"), ("trigger", "trigger"),
                       ("camera", "camera")):
        if key in want:
            checks[field] = want[key]
    for key in ("width", "height"):
        if key in want:
            checks[key] = int(want[key])
    bad = {k: (meta.get(k), v) for k, v in checks.items() if meta.get(k) != v}
    missing = [k for k in ("device_id", "captured_at", "frame_sequence",
                           "trigger_latency_usec", "sharpness", "width",
                           "height") if k not in meta]
    report(not bad and not missing, "meta.json fields and sha256",
           f"wrong {bad}, missing {missing}")
    report(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z",
                        str(meta.get("captured_at"))) is not None,
           "captured_at is RFC 3339 UTC with microseconds",
           str(meta.get("captured_at")))
    if "lat" in want:
        gps = meta.get("gps", {})
        report(abs(gps.get("latitude", 1e9) - float(want["lat"])) < 1e-6 and
               abs(gps.get("longitude", 1e9) - float(want["lon"])) < 1e-6,
               "meta.json has the GPS fix", str(gps))

    r = subprocess.run(["exiftool", "-j", "-n", jpeg], capture_output=True,
                       text=True)
    exif = json.loads(r.stdout)[0] if r.returncode == 0 else {}
    need = ("Make", "Model", "DateTimeOriginal", "SubSecTimeOriginal",
            "OffsetTimeOriginal")
    report(exif.get("ImageUniqueID") == photo_id and
           all(k in exif for k in need) and
           exif.get("ImageWidth") == meta.get("width") and
           exif.get("ImageHeight") == meta.get("height"),
           "EXIF: ImageUniqueID, Make, Model, times, size",
           json.dumps({k: exif.get(k) for k in
                       ("ImageUniqueID", "ImageWidth", "ImageHeight") + need}))
    if "lat" in want:
        report(abs(exif.get("GPSLatitude", 1e9) - float(want["lat"])) < 1e-4,
               "EXIF has the GPS fix", str(exif.get("GPSLatitude")))

    width, height = meta.get("width", 0), meta.get("height", 0)
    pix = gray(jpeg, width, height)
    report(pix is not None, "the JPEG decodes to its size")
    if pix is None:
        return 1
    mean, lo, hi = region_stats(pix, width, 0, 0, width, height)
    report(hi - lo > 64, "the picture is not one flat colour",
           f"luma {lo}..{hi}, mean {mean:.1f}")
    if "mask" in want:
        x, y, w, h = map(int, re.split("[,x]", want["mask"]))
        mean, lo, hi = region_stats(pix, width, x + 2, y + 2, w - 4, h - 4)
        report(hi <= 24, f"the privacy mask {want['mask']} is black",
               f"luma {lo}..{hi}, mean {mean:.1f}")
        # Below the mask the picture goes on.
        mean, lo, hi = region_stats(pix, width, x, y + h + 2, w,
                                    min(h, height - y - h - 2))
        report(hi > 40, "the picture next to the mask is not black",
               f"luma {lo}..{hi}, mean {mean:.1f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

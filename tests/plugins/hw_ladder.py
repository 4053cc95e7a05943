# SPDX-FileCopyrightText: vtranscode authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the hardware plugins' end-to-end tests (vaapi_e2e_test.py, qsv_e2e_test.py)
share: a generated clip, `vtranscode transcode --backend NAME` into a three-rung
CMAF ladder, and the per-rung checks (codec and size, every segment starts with a
keyframe and decodes alone, the whole rung decodes without an error).
"""

import glob
import json
import os
import subprocess
import tempfile

LADDER = "360p:360:900:96,240p:240:500:64,180p:180:300:64"
SIZES = {"360p": (640, 360), "240p": (426, 240), "180p": (320, 180)}


def run(cmd, env=None):
    return subprocess.run(cmd, capture_output=True, text=True, env=env)


def concat(paths, target):
    with open(target, "wb") as out:
        for path in paths:
            with open(path, "rb") as part:
                out.write(part.read())
    return target


def make_clip(path, seconds, rate, tone_hz):
    """A 640x360 H.264 + AAC clip of `seconds` at `rate` fps, made once."""
    if not os.path.exists(path):
        made = run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=s=640x360:r=%d:d=%d" % (rate, seconds),
                    "-f", "lavfi", "-i", "sine=f=%d:d=%d" % (tone_hz, seconds),
                    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", path])
        if made.returncode != 0:
            raise RuntimeError("ffmpeg could not make the clip: " + made.stderr)
    return path


def transcode(test, vtranscode, source, work, codec, backend, extra_env=None):
    """Runs the ladder job; returns (output folder, --json report, log text)."""
    out = tempfile.mkdtemp(dir=work)
    env = dict(os.environ)
    env.update(extra_env or {})
    done = run([vtranscode, "transcode", source, out, "--format", "cmaf",
                "--codec", codec, "--ladder", LADDER, "--segment-seconds", "1",
                "--backend", backend, "--no-original", "--no-thumbnail", "--json",
                "--log-level", "info"], env=env)
    test.assertEqual(done.returncode, 0, done.stderr[-3000:])
    return out, json.loads(done.stdout), done.stderr


def encoders(report):
    """Rendition name -> the encoder id the job used for it."""
    return {r["name"]: r["encoder"] for r in report["renditions"] if r.get("encoder")}


def check_rung(test, out, name, codec, min_segments):
    folder = os.path.join(out, name)
    init = os.path.join(folder, "init.mp4")
    segments = sorted(glob.glob(os.path.join(folder, "seg_*.m4s")))
    test.assertGreaterEqual(len(segments), min_segments, name)
    whole = concat([init] + segments, os.path.join(folder, "whole.mp4"))
    probe = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                 "stream=codec_name,width,height", "-of", "json", whole])
    test.assertEqual(probe.returncode, 0, probe.stderr)
    stream = json.loads(probe.stdout)["streams"][0]
    test.assertEqual(stream["codec_name"], codec, name)
    test.assertEqual((stream["width"], stream["height"]), SIZES[name])
    # Every segment decodes on its own and starts with a keyframe.
    for segment in segments:
        alone = concat([init, segment], os.path.join(folder, "alone.mp4"))
        frames = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                      "frame=key_frame,pict_type", "-of", "json", alone])
        test.assertEqual(frames.returncode, 0, frames.stderr)
        listed = json.loads(frames.stdout)["frames"]
        test.assertTrue(listed, segment)
        test.assertEqual((listed[0]["key_frame"], listed[0]["pict_type"]), (1, "I"),
                         "%s does not start with a keyframe" % segment)
    decoded = run(["ffmpeg", "-v", "error", "-i", whole, "-f", "null", "-"])
    test.assertEqual(decoded.returncode, 0, decoded.stderr)
    test.assertEqual(decoded.stderr.strip(), "", "decode errors in " + name)

#!/usr/bin/env python3
# SPDX-FileCopyrightText: vtranscode authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`vtranscode transcode --backend qsv` end to end on the emulated oneVPL
runtime and VA driver (meson sets ONEVPL_SEARCH_PATH, VTC_QSV_DEVICE and the
fake VA environment). A 2 s generated clip becomes a three-rung CMAF ladder in
1 s segments, and each rung is checked: codec and size (ffprobe), every
segment starts with a keyframe and decodes on its own, the whole rung decodes
without a single error, and the job says which encoder made it.

Usage: qsv_e2e_test.py VTRANSCODE_BINARY [unittest arguments]
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

VTRANSCODE = None
WORK = None
LADDER = "360p:360:900:96,240p:240:500:64,180p:180:300:64"
SIZES = {"360p": (640, 360), "240p": (426, 240), "180p": (320, 180)}


def run(cmd, env=None):
    return subprocess.run(cmd, capture_output=True, text=True, env=env)


def source():
    path = os.path.join(WORK, "clip.mp4")
    if not os.path.exists(path):
        made = run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=2",
                    "-f", "lavfi", "-i", "sine=f=330:d=2",
                    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", path])
        if made.returncode != 0:
            raise RuntimeError("ffmpeg could not make the clip: " + made.stderr)
    return path


def concat(paths, target):
    with open(target, "wb") as out:
        for path in paths:
            with open(path, "rb") as part:
                out.write(part.read())
    return target


class QsvTranscode(unittest.TestCase):
    def transcode(self, codec, extra_env=None):
        out = tempfile.mkdtemp(dir=WORK)
        env = dict(os.environ)
        env.update(extra_env or {})
        done = run([VTRANSCODE, "transcode", source(), out, "--format", "cmaf",
                    "--codec", codec, "--ladder", LADDER, "--segment-seconds", "1",
                    "--backend", "qsv", "--no-original", "--no-thumbnail", "--json",
                    "--log-level", "info"], env=env)
        self.assertEqual(done.returncode, 0, done.stderr[-3000:])
        return out, json.loads(done.stdout), done.stderr

    @staticmethod
    def encoders(report):
        return {r["name"]: r.get("encoder") for r in report["renditions"]}

    def check_rung(self, out, name, codec):
        folder = os.path.join(out, name)
        init = os.path.join(folder, "init.mp4")
        segments = sorted(glob.glob(os.path.join(folder, "seg_*.m4s")))
        self.assertGreaterEqual(len(segments), 2, name)  # 2 s in 1 s segments
        whole = concat([init] + segments, os.path.join(folder, "whole.mp4"))
        probe = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                     "stream=codec_name,width,height", "-of", "json", whole])
        self.assertEqual(probe.returncode, 0, probe.stderr)
        stream = json.loads(probe.stdout)["streams"][0]
        self.assertEqual(stream["codec_name"], codec, name)
        self.assertEqual((stream["width"], stream["height"]), SIZES[name])
        for segment in segments:
            alone = concat([init, segment], os.path.join(folder, "alone.mp4"))
            frames = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "frame=key_frame,pict_type", "-of", "json", alone])
            self.assertEqual(frames.returncode, 0, frames.stderr)
            listed = json.loads(frames.stdout)["frames"]
            self.assertTrue(listed, segment)
            self.assertEqual((listed[0]["key_frame"], listed[0]["pict_type"]), (1, "I"),
                             "%s does not start with a keyframe" % segment)
        decoded = run(["ffmpeg", "-v", "error", "-i", whole, "-f", "null", "-"])
        self.assertEqual(decoded.returncode, 0, decoded.stderr)
        self.assertEqual(decoded.stderr.strip(), "", "decode errors in " + name)

    def test_h264_ladder_on_qsv(self):
        out, report, log = self.transcode("h264")
        self.assertEqual(self.encoders(report),
                         {"360p": "qsv-h264", "240p": "qsv-h264", "180p": "qsv-h264"})
        self.assertIn("on 'fake-vpl-gpu'", log)
        for name in SIZES:
            self.check_rung(out, name, "h264")

    def test_hevc_ladder_on_qsv(self):
        out, report, log = self.transcode("hevc")
        self.assertEqual(set(self.encoders(report).values()), {"qsv-hevc"})
        self.assertIn("QVBR quality 28", log)
        for name in SIZES:
            self.check_rung(out, name, "hevc")

    def test_av1_ladder_on_qsv(self):
        out, report, log = self.transcode("av1")
        self.assertEqual(set(self.encoders(report).values()), {"qsv-av1"})
        self.assertIn("QVBR quality 24", log)  # SVT-AV1's CRF 30 on QVBR's scale
        for name in SIZES:
            self.check_rung(out, name, "av1")

    def test_session_limit_falls_back_to_software(self):
        out, report, log = self.transcode("h264", {"FAKE_VPL_MAX_SESSIONS": "1"})
        used = self.encoders(report)
        self.assertEqual(sorted(used.values()), ["qsv-h264", "x264-h264", "x264-h264"], used)
        self.assertIn("no room for another", log)
        for name in SIZES:
            self.check_rung(out, name, "h264")

    def test_backends_name_the_device(self):
        listed = run([VTRANSCODE, "backends", "--json"], env=dict(os.environ))
        self.assertEqual(listed.returncode, 0, listed.stderr)
        entries = {e["id"]: e for e in json.loads(listed.stdout)["encoders"]}
        self.assertTrue(entries["qsv-hevc"]["available"], entries["qsv-hevc"])
        # ABI 1.1: the runtime's PCI device id and name.
        self.assertEqual(entries["qsv-hevc"]["caps"]["device_name"],
                         "Intel GPU 56a0/0 (fake-vpl-gpu)")

    def test_backends_without_a_gpu(self):
        env = dict(os.environ, FAKE_VPL_NO_DEVICE="1")
        listed = run([VTRANSCODE, "backends", "--json"], env=env)
        self.assertEqual(listed.returncode, 0, listed.stderr)
        entries = {e["id"]: e for e in json.loads(listed.stdout)["encoders"]}
        entry = entries["qsv-h264"]
        self.assertFalse(entry["available"])
        self.assertEqual(entry["status"], "VTC_ERR_NO_DEVICE")
        self.assertIn("oneVPL", entry["reason"])
        self.assertNotIn("\n", entry["reason"])


def main():
    global VTRANSCODE, WORK
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    VTRANSCODE = sys.argv[1]
    WORK = tempfile.mkdtemp(prefix="vtc-qsv-e2e-")
    try:
        program = unittest.main(argv=[sys.argv[0]] + sys.argv[2:], exit=False, verbosity=2)
        return 0 if program.result.wasSuccessful() else 1
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

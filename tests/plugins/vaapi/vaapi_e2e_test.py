#!/usr/bin/env python3
# SPDX-FileCopyrightText: vtranscode authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`vtranscode transcode --backend vaapi` end to end, on the emulated VA-API
driver (meson sets LIBVA_DRIVER_NAME, LIBVA_DRIVERS_PATH, LD_PRELOAD and
VTC_VAAPI_DEVICE). A 3 s generated clip becomes a CMAF ladder; every rung is
checked with ffprobe/ffmpeg: codec and size, a keyframe at the start of every
segment, a clean decode, and which encoder the job used.

Usage: vaapi_e2e_test.py VTRANSCODE_BINARY
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
    path = os.path.join(WORK, "src.mp4")
    if not os.path.exists(path):
        result = run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                      "-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=3",
                      "-f", "lavfi", "-i", "sine=f=440:d=3",
                      "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", path])
        if result.returncode != 0:
            raise RuntimeError("ffmpeg could not make the source: " + result.stderr)
    return path


class VaapiTranscode(unittest.TestCase):
    def transcode(self, codec, extra_env=None):
        out = tempfile.mkdtemp(dir=WORK)
        env = dict(os.environ)
        env.update(extra_env or {})
        result = run([VTRANSCODE, "transcode", source(), out, "--format", "cmaf",
                      "--codec", codec, "--ladder", LADDER, "--segment-seconds", "1",
                      "--backend", "vaapi", "--no-original", "--no-thumbnail", "--json",
                      "--log-level", "info"], env=env)
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        report = json.loads(result.stdout)
        return out, report, result.stderr

    def encoders(self, report):
        found = {}
        for rendition in report["renditions"]:
            if rendition.get("encoder"):
                found[rendition["name"]] = rendition["encoder"]
        return found

    def check_rung(self, out, name, codec):
        rung = os.path.join(out, name)
        init = os.path.join(rung, "init.mp4")
        segments = sorted(glob.glob(os.path.join(rung, "seg_*.m4s")))
        self.assertGreaterEqual(len(segments), 3, name)  # 3 s in 1 s segments
        whole = os.path.join(rung, "whole.mp4")
        with open(whole, "wb") as joined:
            for part in [init] + segments:
                with open(part, "rb") as f:
                    joined.write(f.read())
        probe = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                     "stream=codec_name,width,height", "-of", "json", whole])
        self.assertEqual(probe.returncode, 0, probe.stderr)
        stream = json.loads(probe.stdout)["streams"][0]
        self.assertEqual(stream["codec_name"], codec)
        self.assertEqual((stream["width"], stream["height"]), SIZES[name])
        # Every segment decodes on its own and starts with a keyframe.
        for segment in segments:
            single = os.path.join(rung, "single.mp4")
            with open(single, "wb") as joined:
                for part in (init, segment):
                    with open(part, "rb") as f:
                        joined.write(f.read())
            frames = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "frame=key_frame,pict_type", "-of", "json", single])
            self.assertEqual(frames.returncode, 0, frames.stderr)
            first = json.loads(frames.stdout)["frames"][0]
            self.assertEqual((first["key_frame"], first["pict_type"]), (1, "I"),
                             "%s does not start with a keyframe" % segment)
        decode = run(["ffmpeg", "-v", "error", "-i", whole, "-f", "null", "-"])
        self.assertEqual(decode.returncode, 0, decode.stderr)
        self.assertEqual(decode.stderr.strip(), "", "decode errors in " + name)

    def test_h264_ladder_on_vaapi(self):
        out, report, log = self.transcode("h264")
        self.assertEqual(self.encoders(report),
                         {"360p": "vaapi-h264", "240p": "vaapi-h264", "180p": "vaapi-h264"})
        self.assertIn("h264_vaapi on", log)
        for name in SIZES:
            self.check_rung(out, name, "h264")

    def test_hevc_ladder_on_vaapi(self):
        out, report, log = self.transcode("hevc")
        self.assertEqual(set(self.encoders(report).values()), {"vaapi-hevc"})
        self.assertIn("hevc_vaapi on", log)
        for name in SIZES:
            self.check_rung(out, name, "hevc")

    def backends(self, extra_env):
        env = dict(os.environ)
        env.update(extra_env)
        result = run([VTRANSCODE, "backends", "--json"], env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        return {e["id"]: e for e in json.loads(result.stdout)["encoders"]}

    def test_backends_through_the_probe_child(self):
        usable = self.backends({})
        self.assertTrue(usable["vaapi-h264"]["available"], usable["vaapi-h264"])
        self.assertTrue(usable["vaapi-hevc"]["available"], usable["vaapi-hevc"])
        # ABI 1.1: the driver's vendor string names the device.
        self.assertEqual(usable["vaapi-h264"]["caps"]["device_name"],
                         "vtranscode fake VA-API driver (libx264/libx265, test only)")
        # No device: unavailable, with the path and the cause on one line.
        missing = self.backends({"VTC_VAAPI_DEVICE": "/nonexistent/renderD128"})
        for encoder in ("vaapi-h264", "vaapi-hevc"):
            entry = missing[encoder]
            self.assertFalse(entry["available"])
            self.assertEqual(entry["status"], "VTC_ERR_NO_DEVICE")
            self.assertIn("/nonexistent/renderD128", entry["reason"])
            self.assertNotIn("\n", entry["reason"])
        # A device but no driver.
        no_driver = self.backends({"LIBVA_DRIVER_NAME": "vtc_no_such_driver"})
        self.assertEqual(no_driver["vaapi-h264"]["status"], "VTC_ERR_NO_DEVICE")
        self.assertIn("vaInitialize failed", no_driver["vaapi-h264"]["reason"])

    def test_session_limit_falls_back_to_software(self):
        out, report, log = self.transcode("h264", {"FAKE_VA_MAX_CONTEXTS": "1"})
        used = self.encoders(report)
        self.assertEqual(sorted(used.values()), ["vaapi-h264", "x264-h264", "x264-h264"], used)
        self.assertIn("no free encode session", log)
        for name in SIZES:
            self.check_rung(out, name, "h264")


def main():
    global VTRANSCODE, WORK
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    VTRANSCODE = sys.argv[1]
    WORK = tempfile.mkdtemp(prefix="vtc-vaapi-e2e-")
    try:
        program = unittest.main(argv=[sys.argv[0]] + sys.argv[2:], exit=False, verbosity=2)
        return 0 if program.result.wasSuccessful() else 1
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

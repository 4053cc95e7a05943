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

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
from hw_ladder import SIZES, check_rung, encoders, make_clip, run, transcode  # noqa: E402

VTRANSCODE = None
WORK = None


def source():
    return make_clip(os.path.join(WORK, "src.mp4"), 3, 25, 440)


class VaapiTranscode(unittest.TestCase):
    def transcode(self, codec, extra_env=None):
        return transcode(self, VTRANSCODE, source(), WORK, codec, "vaapi", extra_env)

    @staticmethod
    def encoders(report):
        return encoders(report)

    def check_rung(self, out, name, codec):
        check_rung(self, out, name, codec, min_segments=3)  # 3 s in 1 s segments

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

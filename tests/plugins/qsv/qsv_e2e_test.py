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
    return make_clip(os.path.join(WORK, "clip.mp4"), 2, 30, 330)


class QsvTranscode(unittest.TestCase):
    def transcode(self, codec, extra_env=None):
        return transcode(self, VTRANSCODE, source(), WORK, codec, "qsv", extra_env)

    @staticmethod
    def encoders(report):
        return encoders(report)

    def check_rung(self, out, name, codec):
        check_rung(self, out, name, codec, min_segments=2)  # 2 s in 1 s segments

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

#!/usr/bin/env python3
# SPDX-FileCopyrightText: vtranscode authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End-to-end `vtranscode transcode --backend nvenc` against the emulated NVIDIA
driver (tests/emulated/nvenc, first on LD_LIBRARY_PATH via meson): a generated
2 s clip to a CMAF ladder, every rung checked with ffprobe/ffmpeg, and the
session-limit fallback to software.

Usage: nvenc_transcode_test.py VTRANSCODE_BINARY
Needs ffmpeg/ffprobe on PATH. Uses only the Python standard library.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

VTRANSCODE = None
WORK = None
SOURCE = None

LADDER = "360p:360:800:96,240p:240:400:64,180p:180:250:64"
HEIGHTS = {"360p": (640, 360), "240p": (426, 240), "180p": (320, 180)}


def run(cmd, env=None, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, env=env, **kwargs)


def ffprobe_json(*args):
    result = run(["ffprobe", "-v", "error", "-of", "json", *args])
    if result.returncode != 0:
        raise AssertionError("ffprobe failed on %s: %s" % (args[-1], result.stderr.strip()))
    return json.loads(result.stdout)


def make_source():
    path = os.path.join(WORK, "source.mp4")
    result = run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                  "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=2,noise=alls=6:allf=t",
                  "-f", "lavfi", "-i", "sine=f=440:d=2:sample_rate=48000",
                  "-c:v", "libx264", "-preset", "ultrafast", "-g", "30",
                  "-c:a", "aac", "-b:a", "96k", "-shortest", path])
    if result.returncode != 0:
        raise RuntimeError("ffmpeg failed: " + result.stderr)
    return path


def media_playlist(path):
    init = None
    segments = []
    for line in open(path).read().splitlines():
        if line.startswith("#EXT-X-MAP:"):
            init = line.split('URI="', 1)[1].split('"', 1)[0]
        elif line and not line.startswith("#"):
            segments.append(line)
    return init, segments


class NvencTranscodeTests(unittest.TestCase):
    def transcode(self, codec, extra_env=None):
        out = tempfile.mkdtemp(dir=WORK)
        trace = os.path.join(out, "driver-trace.txt")
        env = dict(os.environ)
        env["FAKE_NVENC_TRACE"] = trace
        env.update(extra_env or {})
        result = run([VTRANSCODE, "transcode", SOURCE, out, "--json", "--format", "cmaf",
                      "--codec", codec, "--ladder", LADDER, "--segment-seconds", "1",
                      "--backend", "nvenc", "--log-level", "info", "--no-original"],
                     env=env, timeout=240)
        self.assertEqual(result.returncode, 0, "transcode failed:\n" + result.stderr[-3000:])
        driver_trace = open(trace).read() if os.path.exists(trace) else ""
        return out, json.loads(result.stdout), result.stderr, driver_trace

    def check_rung(self, out, rendition, codec):
        name = rendition["name"]
        width, height = HEIGHTS[name]
        self.assertEqual((rendition["width"], rendition["height"]), (width, height))
        base = os.path.join(out, name)
        init, segments = media_playlist(os.path.join(base, "stream.m3u8"))
        self.assertEqual(init, "init.mp4")
        self.assertGreaterEqual(len(segments), 2, name + ": expected 1 s segments of a 2 s clip")
        joined = os.path.join(WORK, "joined.mp4")
        with open(joined, "wb") as whole:
            whole.write(open(os.path.join(base, init), "rb").read())
            for segment in segments:
                one = os.path.join(WORK, "one.mp4")
                with open(one, "wb") as part:
                    part.write(open(os.path.join(base, init), "rb").read())
                    part.write(open(os.path.join(base, segment), "rb").read())
                frames = ffprobe_json("-select_streams", "v:0", "-show_frames",
                                      "-read_intervals", "%+#1",
                                      "-show_entries", "frame=key_frame", one)["frames"]
                self.assertTrue(frames, "%s/%s has no video frame" % (name, segment))
                self.assertEqual(frames[0]["key_frame"], 1,
                                 "%s/%s does not start with a keyframe" % (name, segment))
                whole.write(open(os.path.join(base, segment), "rb").read())
        stream = ffprobe_json("-select_streams", "v:0", "-show_streams", joined)["streams"][0]
        self.assertEqual(stream["codec_name"], codec)
        self.assertEqual((stream["width"], stream["height"]), (width, height))
        decoded = run(["ffmpeg", "-hide_banner", "-v", "error", "-xerror", "-i", joined,
                       "-map", "0:v", "-f", "null", "-"])
        self.assertEqual(decoded.returncode, 0, name + " does not decode: " + decoded.stderr)
        self.assertEqual(decoded.stderr.strip(), "", name + " decodes with errors")
        counted = ffprobe_json("-select_streams", "v:0", "-count_frames", "-show_entries",
                               "stream=nb_read_frames", joined)["streams"][0]
        self.assertEqual(int(counted["nb_read_frames"]), 60, name + ": every frame of 2 s at 30 fps")

    def test_h264_ladder_on_nvenc(self):
        out, result, log, trace = self.transcode("h264")
        renditions = result["renditions"]
        self.assertEqual([r["name"] for r in renditions], ["360p", "240p", "180p"])
        for rendition in renditions:
            self.assertEqual(rendition["encoder"], "nvenc-h264", rendition["name"])
            self.assertIn("%s: %dx%d with nvenc-h264" % (rendition["name"], rendition["width"],
                                                        rendition["height"]), log)
            self.check_rung(out, rendition, "h264")
        # The emulated driver really was what encoded them: one session per rung.
        self.assertEqual(trace.count("INIT codec=h264"), 3, trace)
        # capped CRF reached the driver as VBR with a quality target and the cap.
        self.assertIn("rc=vbr avg=0 max=800000 vbv=1600000 cq=23", trace)

    def test_hevc_ladder_on_nvenc(self):
        out, result, log, trace = self.transcode("hevc")
        for rendition in result["renditions"]:
            self.assertEqual(rendition["encoder"], "nvenc-hevc", rendition["name"])
            self.check_rung(out, rendition, "hevc")
        self.assertEqual(trace.count("INIT codec=hevc"), 3, trace)

    def test_session_limit_falls_back_to_software(self):
        out, result, log, trace = self.transcode("h264", {"FAKE_NVENC_MAX_SESSIONS": "1"})
        encoders = [r["encoder"] for r in result["renditions"]]
        self.assertEqual(encoders, ["nvenc-h264", "x264-h264", "x264-h264"])
        self.assertIn("could not be opened, trying the next encoder", log)
        self.assertIn("session limit", log)
        for rendition in result["renditions"]:
            self.check_rung(out, rendition, "h264")
        self.assertEqual(trace.count("INIT codec=h264"), 1, trace)


def main():
    global VTRANSCODE, WORK, SOURCE
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    VTRANSCODE = os.path.abspath(sys.argv[1])
    WORK = tempfile.mkdtemp(prefix="vtc-nvenc-e2e-")
    try:
        SOURCE = make_source()
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(NvencTranscodeTests)
        outcome = unittest.TextTestRunner(verbosity=2).run(suite)
        return 0 if outcome.wasSuccessful() else 1
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

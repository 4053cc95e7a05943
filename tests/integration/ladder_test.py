#!/usr/bin/env python3
# SPDX-FileCopyrightText: vtranscode authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End-to-end tests of `vtranscode transcode`: generated clips in, ladders out,
every claim checked with ffprobe (and the DASH manifest with an XML parser).

Usage: ladder_test.py VTRANSCODE_BINARY [test-name-filter]
Needs ffmpeg/ffprobe on PATH. Uses only the Python standard library.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

VTRANSCODE = None
WORK = None

# A small ladder so the suite stays fast on two cores.
SMALL_LADDER = "360p:360:800:96,240p:240:400:64"


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


def ffmpeg(*args):
    result = run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args])
    if result.returncode != 0:
        raise RuntimeError("ffmpeg failed: " + result.stderr)


def ffprobe_json(*args):
    result = run(["ffprobe", "-v", "error", "-of", "json", *args])
    if result.returncode != 0:
        raise AssertionError("ffprobe failed on %s: %s" % (args[-1], result.stderr.strip()))
    return json.loads(result.stdout)


_clips = {}


def clip(name):
    """Generates (once) a small test source and returns its path."""
    if name in _clips:
        return _clips[name]
    path = os.path.join(WORK, "src_" + name)
    noise = "noise=alls=6:allf=t"
    if name == "basic.mp4":  # 640x360, 30 fps, 4.2 s, stereo AAC
        ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=4.2," + noise,
               "-f", "lavfi", "-i", "sine=f=440:d=4.2:sample_rate=44100",
               "-ac", "2", "-c:v", "libx264", "-preset", "ultrafast", "-g", "45",
               "-c:a", "aac", "-b:a", "96k", "-shortest", path)
    elif name == "odd.mkv":  # odd size 853x481, 4:4:4 source
        ffmpeg("-f", "lavfi", "-i",
               "testsrc2=s=854x482:r=25:d=3.3,format=yuv444p,scale=853:481," + noise,
               "-f", "lavfi", "-i", "sine=f=300:d=3.3",
               "-c:v", "libx264", "-preset", "ultrafast",
               "-c:a", "libopus" if encoder_exists("libopus") else "aac", path)
    elif name == "silent.mp4":  # no audio at all
        ffmpeg("-f", "lavfi", "-i", "testsrc2=s=480x270:r=24:d=3.2," + noise,
               "-c:v", "libx264", "-preset", "ultrafast", path)
    elif name == "tenbit.mkv":  # 10-bit HEVC source with audio
        ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=3.2," + noise,
               "-f", "lavfi", "-i", "sine=d=3.2",
               "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le",
               "-x265-params", "log-level=error", "-c:a", "aac", path)
    elif name == "vfr.mp4":  # variable frame rate: irregular gaps between frames
        ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=4.5," + noise,
               "-f", "lavfi", "-i", "sine=d=4.5",
               "-vf", "select='not(between(mod(n\\,20)\\,5\\,11))'", "-fps_mode", "vfr",
               "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", path)
    elif name == "rotated.mp4":  # landscape pixels, 90 degree display rotation
        tmp = path + ".tmp.mp4"
        ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=2.2," + noise,
               "-c:v", "libx264", "-preset", "ultrafast", tmp)
        ffmpeg("-i", tmp, "-c", "copy", "-metadata:s:v:0", "rotate=90", path)
        os.remove(tmp)
    elif name == "two_audio.mkv":  # two audio tracks: mono 22.05 kHz first, 5.1 second
        ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=3," + noise,
               "-f", "lavfi", "-i", "sine=f=1000:d=3:sample_rate=22050",
               "-f", "lavfi", "-i", "sine=f=200:d=3,aformat=channel_layouts=5.1",
               "-map", "0:v", "-map", "1:a", "-map", "2:a",
               "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", path)
    elif name == "long.mp4":  # for cancellation: long enough to still be running
        ffmpeg("-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=40," + noise,
               "-f", "lavfi", "-i", "sine=d=40",
               "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", path)
    else:
        raise KeyError(name)
    _clips[name] = path
    return path


def encoder_exists(name):
    return name in run(["ffmpeg", "-hide_banner", "-encoders"]).stdout


def parse_attributes(text):
    attrs = {}
    for match in re.finditer(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', text):
        attrs[match.group(1)] = match.group(2).strip('"')
    return attrs


def parse_master(path):
    lines = open(path).read().splitlines()
    assert lines[0] == "#EXTM3U", "master does not start with #EXTM3U"
    variants = []
    version = None
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-VERSION:"):
            version = int(line.split(":")[1])
        if line.startswith("#EXT-X-STREAM-INF:"):
            attrs = parse_attributes(line.split(":", 1)[1])
            attrs["URI"] = lines[i + 1]
            variants.append(attrs)
    return version, variants


def parse_media(path):
    lines = open(path).read().splitlines()
    assert lines[0] == "#EXTM3U", path + " does not start with #EXTM3U"
    assert "#EXT-X-ENDLIST" in lines, path + " has no #EXT-X-ENDLIST"
    target = None
    init = None
    segments = []
    duration = None
    for line in lines:
        if line.startswith("#EXT-X-TARGETDURATION:"):
            target = int(line.split(":")[1])
        elif line.startswith("#EXT-X-MAP:"):
            init = parse_attributes(line.split(":", 1)[1])["URI"]
        elif line.startswith("#EXTINF:"):
            duration = float(line.split(":")[1].rstrip(","))
        elif line and not line.startswith("#"):
            segments.append((line, duration))
    assert segments, path + " lists no segment"
    for _, d in segments:
        assert round(d) <= target, "EXTINF %s exceeds TARGETDURATION %s in %s" % (d, target, path)
    return init, segments


def first_video_frame(media_path):
    data = ffprobe_json("-select_streams", "v:0", "-show_frames", "-read_intervals", "%+#1",
                        "-show_entries", "frame=key_frame,pict_type,width,height",
                        media_path)
    frames = data.get("frames", [])
    assert frames, "no video frame in " + media_path
    return frames[0]


def expected_avc1(stream):
    profiles = {"Baseline": 0x42, "Constrained Baseline": 0x42, "Main": 0x4D, "High": 0x64,
                "High 10": 0x6E}
    return profiles[stream["profile"]], stream["level"]


class Ladder:
    """A finished transcode: paths and parsed playlists."""

    def __init__(self, out_dir, result_json):
        self.dir = out_dir
        self.result = result_json
        self.version, self.variants = parse_master(os.path.join(out_dir, "master.m3u8"))


class LadderTests(unittest.TestCase):
    def transcode(self, source, *options, expect_ok=True):
        out = tempfile.mkdtemp(dir=WORK)
        cmd = [VTRANSCODE, "transcode", source, out, "--json", *options]
        result = run(cmd, timeout=600)
        if expect_ok:
            self.assertEqual(result.returncode, 0,
                             "transcode failed:\n" + result.stderr[-3000:])
            return Ladder(out, json.loads(result.stdout))
        return out, result

    # -- shared checks -------------------------------------------------------------

    def check_ladder(self, ladder, container, codec):
        self.assertEqual(ladder.version, 3 if container == "ts" else 7)
        renditions = {}
        for variant in ladder.variants:
            uri = variant["URI"]
            playlist = os.path.join(ladder.dir, uri)
            self.assertTrue(os.path.isfile(playlist), uri)
            init, segments = parse_media(playlist)
            base = os.path.dirname(playlist)
            # One container for every variant, the original included (hls.js
            # fails when it switches between TS and fMP4 levels).
            for name, _ in segments:
                self.assertTrue(name.endswith(".ts" if container == "ts" else ".m4s"), name)
                self.assertGreater(os.path.getsize(os.path.join(base, name)), 0)
            if container == "ts":
                self.assertIsNone(init)
            else:
                self.assertEqual(init, "init.mp4")
                self.assertTrue(os.path.isfile(os.path.join(base, "init.mp4")))
            name = uri.split("/")[0].replace(".m3u8", "")
            renditions[name] = (variant, base, init, segments)
            self.check_variant_attributes(variant, base, init, segments, codec, name)
        ladder_names = [n for n in renditions if n != "original"]
        self.assertTrue(ladder_names)
        reference = renditions[ladder_names[0]][3]
        for name in ladder_names[1:]:
            segments = renditions[name][3]
            self.assertEqual(len(segments), len(reference),
                             "segment counts differ between %s and %s" % (ladder_names[0], name))
            for (_, a), (_, b) in zip(segments, reference):
                self.assertAlmostEqual(a, b, delta=0.05, msg="segment durations differ")
        # every segment starts with a keyframe
        for name in ladder_names:
            variant, base, init, segments = renditions[name]
            for seg, _ in segments:
                media = self.media_for(base, init, seg)
                frame = first_video_frame(media)
                self.assertEqual(frame["key_frame"], 1, "%s/%s does not start with a keyframe"
                                 % (name, seg))
        thumb = os.path.join(ladder.dir, "thumbnail.jpg")
        info = ffprobe_json("-show_streams", thumb)["streams"][0]
        self.assertEqual(info["codec_name"], "mjpeg")
        self.assertEqual(info["width"], 640)
        return renditions

    def media_for(self, base, init, segment):
        if init is None:
            return os.path.join(base, segment)
        joined = os.path.join(WORK, "joined.mp4")
        with open(joined, "wb") as out:
            for part in (init, segment):
                with open(os.path.join(base, part), "rb") as f:
                    out.write(f.read())
        return joined

    def check_variant_attributes(self, variant, base, init, segments, codec, name):
        media = self.media_for(base, init, segments[0][0])
        streams = ffprobe_json("-show_streams", media)["streams"]
        video = [s for s in streams if s["codec_type"] == "video"][0]
        audio = [s for s in streams if s["codec_type"] == "audio"]
        self.assertEqual(variant["RESOLUTION"], "%dx%d" % (video["width"], video["height"]))
        self.assertIn("BANDWIDTH", variant)
        self.assertIn("AVERAGE-BANDWIDTH", variant)
        self.assertGreaterEqual(int(variant["BANDWIDTH"]), int(variant["AVERAGE-BANDWIDTH"]))
        codecs = variant.get("CODECS", "").split(",")
        if audio:
            self.assertIn(codecs[-1], ("mp4a.40.2", "opus", "mp4a.40.5"), variant)
        else:
            self.assertEqual(len(codecs), 1, "CODECS lists audio for a silent variant")
        if name == "original":
            return
        vcodec = codecs[0]
        if codec == "h264":
            profile_idc, level = expected_avc1(video)
            self.assertRegex(vcodec, r"^avc1\.[0-9a-f]{6}$")
            self.assertEqual(int(vcodec[5:7], 16), profile_idc, vcodec)
            self.assertEqual(int(vcodec[9:11], 16), level, vcodec)
        elif codec == "av1":
            self.assertRegex(vcodec, r"^av01\.\d\.\d\d[MH]\.(08|10)")
            self.assertEqual(int(vcodec.split(".")[1]), 0 if video["profile"] == "Main" else 1)
            depth = 10 if "10" in video.get("pix_fmt", "") else 8
            self.assertEqual(int(vcodec.split(".")[3][:2]), depth)
        elif codec == "hevc":
            self.assertRegex(vcodec, r"^hvc1\.")
            self.assertEqual(vcodec.split(".")[3][1:], str(video["level"]), vcodec)

    def check_no_complete_output(self, out):
        leftovers = []
        for root, _, files in os.walk(out):
            for f in files:
                if f.endswith((".m3u8", ".mpd")):
                    leftovers.append(os.path.join(root, f))
        self.assertEqual(leftovers, [], "a failed job left playlists behind")

    # -- the tests -----------------------------------------------------------------

    def test_cmaf_x264_with_audio_and_dash(self):
        ladder = self.transcode(clip("basic.mp4"), "--format", "cmaf", "--codec", "h264",
                                "--ladder", SMALL_LADDER, "--segment-seconds", "1.5")
        renditions = self.check_ladder(ladder, "cmaf", "h264")
        self.assertIn("original", renditions)
        self.assertEqual(set(renditions), {"original", "360p", "240p"})
        # 4.2 s in 1.5 s segments: 1.5 + 1.5 + 1.2
        self.assertEqual(len(renditions["360p"][3]), 3)
        root = ET.parse(os.path.join(ladder.dir, "manifest.mpd")).getroot()
        ns = {"d": "urn:mpeg:dash:schema:mpd:2011"}
        reps = root.findall(".//d:Representation", ns)
        self.assertEqual(sorted(r.get("id") for r in reps), ["240p", "360p"])
        for rep in reps:
            self.assertTrue(rep.get("codecs").startswith("avc1."))

    def test_hls_ts_x264_odd_size_source(self):
        ladder = self.transcode(clip("odd.mkv"), "--format", "hls_ts", "--codec", "h264",
                                "--ladder", SMALL_LADDER, "--segment-seconds", "1")
        renditions = self.check_ladder(ladder, "ts", "h264")
        # The H.264 source is stream-copied as an MPEG-TS original, at the root.
        self.assertIn("original", renditions)
        self.assertTrue(os.path.isfile(os.path.join(ladder.dir, "original.m3u8")))
        self.assertTrue(os.path.isfile(os.path.join(ladder.dir, "original_0000.ts")))
        variant = renditions["360p"][0]
        # 853x481: 360 lines and round(360 * 853 / 481 / 2) * 2 = 638 columns (ffmpeg's -2)
        self.assertEqual(variant["RESOLUTION"], "638x360")
        self.assertEqual(renditions["240p"][0]["RESOLUTION"], "426x240")
        self.assertFalse(os.path.exists(os.path.join(ladder.dir, "manifest.mpd")))

    def test_source_without_audio(self):
        ladder = self.transcode(clip("silent.mp4"), "--format", "cmaf", "--codec", "h264",
                                "--ladder", SMALL_LADDER, "--segment-seconds", "1")
        renditions = self.check_ladder(ladder, "cmaf", "h264")
        self.assertEqual(set(renditions), {"original", "240p"})  # 270 px: 360p is dropped

    def test_ten_bit_hevc_source_to_8bit_h264(self):
        ladder = self.transcode(clip("tenbit.mkv"), "--format", "hls_ts", "--codec", "h264",
                                "--ladder", SMALL_LADDER, "--segment-seconds", "1")
        renditions = self.check_ladder(ladder, "ts", "h264")
        _, base, init, segments = renditions["360p"]
        stream = ffprobe_json("-show_streams", "-select_streams", "v:0",
                              os.path.join(base, segments[0][0]))["streams"][0]
        self.assertEqual(stream["pix_fmt"], "yuv420p")

    def test_variable_frame_rate_source(self):
        ladder = self.transcode(clip("vfr.mp4"), "--format", "cmaf", "--codec", "h264",
                                "--ladder", SMALL_LADDER, "--segment-seconds", "1")
        self.check_ladder(ladder, "cmaf", "h264")

    def test_rotated_source_is_upright(self):
        ladder = self.transcode(clip("rotated.mp4"), "--format", "cmaf", "--codec", "h264",
                                "--ladder", "360p:360:800:96", "--segment-seconds", "1")
        renditions = self.check_ladder(ladder, "cmaf", "h264")
        # 640x360 turned by 90 degrees is 360 wide and 640 high: the 360p rung is
        # 360 px high and 202 px wide (aspect kept, even).
        self.assertEqual(renditions["360p"][0]["RESOLUTION"], "202x360")
        thumb = ffprobe_json("-show_streams", os.path.join(ladder.dir, "thumbnail.jpg"))
        self.assertGreater(thumb["streams"][0]["height"], 640)  # portrait

    def test_several_audio_streams_use_the_first_resampled_to_48k_stereo(self):
        ladder = self.transcode(clip("two_audio.mkv"), "--format", "hls_ts", "--codec", "h264",
                                "--ladder", "360p:360:800:96", "--segment-seconds", "1")
        renditions = self.check_ladder(ladder, "ts", "h264")
        _, base, _, segments = renditions["360p"]
        streams = ffprobe_json("-show_streams", os.path.join(base, segments[0][0]))["streams"]
        audio = [s for s in streams if s["codec_type"] == "audio"]
        self.assertEqual(len(audio), 1)
        self.assertEqual((audio[0]["codec_name"], audio[0]["sample_rate"], audio[0]["channels"]),
                         ("aac", "48000", 2))
        # The 1 kHz tone of the first track, not the 200 Hz one of the second: the
        # energy lands in a band-pass around 1 kHz.
        level = run(["ffmpeg", "-hide_banner", "-i", os.path.join(base, segments[1][0]),
                     "-af", "bandpass=f=1000:width_type=h:w=100,volumedetect", "-f", "null",
                     "-"]).stderr
        mean_db = float(re.search(r"mean_volume: (-?[0-9.]+) dB", level).group(1))
        self.assertGreater(mean_db, -30, "the first audio track (1 kHz) is not the one encoded")

    def test_cmaf_svtav1(self):
        ladder = self.transcode(clip("basic.mp4"), "--format", "cmaf", "--codec", "av1",
                                "--ladder", SMALL_LADDER, "--segment-seconds", "1.5",
                                "--preset", "10")
        self.check_ladder(ladder, "cmaf", "av1")
        # MPEG-TS has no AV1 mapping in FFmpeg 5.1: refused up front, with the way out named.
        out, result = self.transcode(clip("basic.mp4"), "--format", "hls_ts", "--codec", "av1",
                                     "--ladder", SMALL_LADDER, expect_ok=False)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("AV1 cannot be carried in MPEG-TS segments; use the cmaf format",
                      result.stderr)
        self.assertEqual(os.listdir(out), [], "a refused job left files behind")

    def test_hls_ts_with_existing_qualities_skipped(self):
        ladder = self.transcode(clip("basic.mp4"), "--format", "hls_ts", "--codec", "h264",
                                "--ladder", SMALL_LADDER, "--segment-seconds", "2",
                                "--skip", "240p")
        uris = [v["URI"] for v in ladder.variants]
        self.assertIn("240p.m3u8", uris)  # listed for the player ...
        self.assertFalse(os.path.exists(os.path.join(ladder.dir, "240p.m3u8")))  # ... not made
        self.assertEqual(ladder.result["skipped"], ["240p"])

    def test_encoder_options_reach_the_encoder_and_unknown_keys_fail(self):
        def x264_settings(out):
            # x264 writes the settings it encoded with into an SEI of the first
            # frame; TS packet headers would cut it, so read the raw stream.
            raw = os.path.join(out, "240p.h264")
            ffmpeg("-i", os.path.join(out, "240p_0000.ts"), "-map", "0:v", "-c", "copy",
                   "-f", "h264", raw)
            with open(raw, "rb") as f:
                data = f.read()
            start = data.find(b"x264 - core")
            self.assertGreaterEqual(start, 0, "no x264 settings SEI in the first segment")
            return data[start:data.find(b"\0", start)].decode("ascii", "replace")

        ladder = self.transcode(clip("basic.mp4"), "--format", "hls_ts", "--codec", "h264",
                                "--ladder", "240p:240:400:64", "--backend", "x264",
                                "--encoder-option", "ref=1", "--encoder-option", "subme=2")
        settings = x264_settings(ladder.dir)
        self.assertIn(" ref=1 ", settings)
        self.assertIn(" subme=2 ", settings)
        plain = self.transcode(clip("basic.mp4"), "--format", "hls_ts", "--codec", "h264",
                               "--ladder", "240p:240:400:64", "--backend", "x264")
        self.assertNotIn(" subme=2 ", x264_settings(plain.dir))  # the test can tell the difference

        out = tempfile.mkdtemp(dir=WORK)
        result = run([VTRANSCODE, "transcode", clip("basic.mp4"), out, "--ladder",
                      "240p:240:400:64", "--encoder-option", "no-such-knob=1"])
        self.assertEqual(result.returncode, 1, result.stderr)
        lines = [l for l in result.stderr.splitlines() if l.startswith("vtranscode:")]
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertIn("no-such-knob", lines[0])
        self.assertEqual(os.listdir(out), [], "a failed job left files behind")
        usage = run([VTRANSCODE, "transcode", clip("basic.mp4"), out, "--encoder-option", "=1"])
        self.assertEqual(usage.returncode, 2)

    def test_cancel_stops_within_a_second_and_leaves_nothing_complete(self):
        source = clip("long.mp4")
        out = tempfile.mkdtemp(dir=WORK)
        proc = subprocess.Popen([VTRANSCODE, "transcode", source, out, "--format", "cmaf",
                                 "--ladder", "720p:720:2500:128,360p:360:600:96"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        # wait until segments are being written, then interrupt
        while time.time() < deadline:
            if os.path.exists(os.path.join(out, "360p", "seg_0000.m4s")):
                break
            time.sleep(0.05)
        else:
            proc.kill()
            self.fail("no segment appeared within 60 s")
        sent = time.time()
        proc.send_signal(signal.SIGINT)
        try:
            _, stderr = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            self.fail("did not stop after SIGINT")
        elapsed = time.time() - sent
        self.assertLess(elapsed, 1.0, "took %.2f s to stop" % elapsed)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("cancel", stderr.lower())
        self.check_no_complete_output(out)
        self.assertFalse(os.path.exists(os.path.join(out, "360p")))

    def test_bad_inputs_fail_with_one_line_and_leave_nothing(self):
        text = os.path.join(WORK, "not_video.mp4")
        with open(text, "w") as f:
            f.write("this is not a video\n" * 100)
        empty = os.path.join(WORK, "empty.mp4")
        open(empty, "w").close()
        truncated = os.path.join(WORK, "truncated.mp4")
        data = open(clip("basic.mp4"), "rb").read()
        with open(truncated, "wb") as f:
            f.write(data[: len(data) // 2])
        readonly = tempfile.mkdtemp(dir=WORK)
        os.chmod(readonly, 0o555)
        no_plugins = dict(os.environ, VTC_PLUGIN_PATH=os.path.join(WORK, "no-plugins"),
                          VTC_PLUGIN_SYSTEM_PATH="")
        cases = [
            ("missing", os.path.join(WORK, "does-not-exist.mp4"), None, "no such file"),
            ("not a video", text, None, "not a readable media file"),
            ("empty", empty, None, "empty"),
            ("truncated", truncated, None, "probe"),
            ("no backend", clip("basic.mp4"), no_plugins, "no usable h264 encoder"),
        ]
        for label, source, env, expected in cases:
            with self.subTest(label):
                out = tempfile.mkdtemp(dir=WORK)
                result = run([VTRANSCODE, "transcode", source, out, "--ladder", SMALL_LADDER],
                             timeout=300, env=env)
                self.assertEqual(result.returncode, 1, result.stderr)
                lines = [l for l in result.stderr.splitlines() if l.startswith("vtranscode:")]
                self.assertEqual(len(lines), 1, result.stderr)
                self.assertIn(expected, lines[0].lower())
                self.check_no_complete_output(out)
                self.assertEqual(os.listdir(out), [], "a failed job left files behind")
        if os.geteuid() != 0:  # root can write anywhere
            result = run([VTRANSCODE, "transcode", clip("basic.mp4"), readonly])
            self.assertEqual(result.returncode, 1)
            self.assertIn("not writable", result.stderr)
        usage = run([VTRANSCODE, "transcode"])
        self.assertEqual(usage.returncode, 2)


def main():
    global VTRANSCODE, WORK
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    VTRANSCODE = os.path.abspath(sys.argv[1])
    WORK = tempfile.mkdtemp(prefix="vtc-integration-")
    try:
        argv = [sys.argv[0]] + (["-k", sys.argv[2]] if len(sys.argv) > 2 else [])
        program = unittest.main(argv=argv, exit=False, verbosity=2)
        return 0 if program.result.wasSuccessful() else 1
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

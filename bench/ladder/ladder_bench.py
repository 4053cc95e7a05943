#!/usr/bin/env python3
# SPDX-FileCopyrightText: vtranscode authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Ladder benchmark: vtranscode against the ffmpeg CLI, same input, same settings.

Encodes a generated 1080p30 clip (testsrc2 with light temporal noise, stereo AAC)
into the 1080p/720p/480p/360p ladder with x264 preset medium, CRF 23 capped at
the ladder bit rates (VLog's settings: -maxrate = bit rate, -bufsize = 2x), as

  vlog    VLog's way: one ffmpeg process per rendition, one after another, each
          decoding the source (VLog's CPU worker default, VLOG_PARALLEL_QUALITIES=1)
  single  the best single ffmpeg command: one decode, split + scale into four
          libx264 encoders, var_stream_map HLS/fMP4 output, keyframes forced
          every 6 s as vtranscode does
  vtc     vtranscode transcode (CMAF, no "original", which the others don't make)

and, for AV1, `single` and `vtc` with SVT-AV1 preset 8. Runs alternate between
variants (A B C, B C A, ...) and the medians are reported, because the machine
is shared and noisy. Wall time, CPU time and peak RSS come from /usr/bin/time -v;
PSNR of every rendition is measured against the source scaled to the same size
with the same (bicubic) scaler.

usage: ladder_bench.py --vtranscode PATH [--runs N] [--seconds S] [--out DIR]
                       [--memory-check] [--skip-av1]
Run it from `meson devenv -C BUILD` (or set VTC_PLUGIN_PATH) so vtranscode finds
its plugins. Prints a Markdown report and writes DIR/results.json.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

LADDER = [  # name, height, video kbps, audio kbps (VLog's presets)
    ("1080p", 1080, 5000, 128),
    ("720p", 720, 2500, 128),
    ("480p", 480, 1000, 96),
    ("360p", 360, 600, 96),
]
SEGMENT_SECONDS = 6
# FFmpeg 5.1's libsvtav1 wrapper sets 4 hierarchical levels (mini-GOP 16)
# where SVT-AV1 1.4.1 itself defaults to 5 (mini-GOP 32, about 300 MB more for
# this ladder); both sides are pinned so they encode with the same settings.
AV1_HIERARCHICAL_LEVELS = 4


def sh(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s" % (result.returncode, " ".join(cmd),
                                                            result.stderr[-2000:]))
    return result


def make_clip(path, seconds):
    if os.path.exists(path):
        return
    sh(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=30:d=%d,noise=alls=8:allf=t" % seconds,
        "-f", "lavfi", "-i", "sine=f=440:d=%d:sample_rate=48000" % seconds, "-ac", "2",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "192k", "-shortest", path])


def timed(cmd, cwd=None):
    """Runs cmd under /usr/bin/time -v; returns wall s, cpu s, peak RSS MiB."""
    full = ["/usr/bin/time", "-v"] + cmd
    result = subprocess.run(full, capture_output=True, text=True, cwd=cwd)
    if result.returncode != 0:
        raise RuntimeError("benchmark command failed: %s\n%s" % (" ".join(cmd),
                                                                  result.stderr[-3000:]))
    err = result.stderr

    def field(name):
        m = re.search(r"^\s*%s: (.+)$" % re.escape(name), err, re.M)
        if not m:
            raise RuntimeError("no '%s' in /usr/bin/time output" % name)
        return m.group(1).strip()

    wall_text = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    parts = [float(p) for p in wall_text.split(":")]
    wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    rss = int(field("Maximum resident set size (kbytes)")) / 1024.0
    return {"wall_s": wall, "cpu_s": cpu, "rss_mib": rss}


def vlog_command(src, out):
    """VLog's remote worker, CPU path (§5.7.a of the protocol notes), CMAF muxer args."""
    steps = []
    for name, height, kbps, akbps in LADDER:
        qdir = os.path.join(out, name)
        steps.append(" ".join([
            "mkdir -p %s &&" % qdir,
            "ffmpeg -hide_banner -loglevel error -y -i %s" % src,
            "-c:v libx264 -preset medium -crf 23",
            "-b:v %dk -maxrate %dk -bufsize %dk" % (kbps, kbps, 2 * kbps),
            "-vf scale=-2:%d -c:a aac -b:a %dk -ac 2" % (height, akbps),
            "-hls_time %d -hls_list_size 0 -hls_segment_type fmp4" % SEGMENT_SECONDS,
            "-hls_fmp4_init_filename init.mp4",
            "-hls_segment_filename %s/seg_%%04d.m4s" % qdir,
            "-f hls %s/stream.m3u8" % qdir,
        ]))
    return ["bash", "-c", " && ".join(steps)]


def single_command(src, out, codec):
    n = len(LADDER)
    graph = "[0:v]split=%d%s" % (n, "".join("[s%d]" % i for i in range(n)))
    for i, (_, height, _, _) in enumerate(LADDER):
        graph += ";[s%d]scale=-2:%d[v%d]" % (i, height, i)
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", src,
           "-filter_complex", graph]
    for i, (_, _, kbps, akbps) in enumerate(LADDER):
        cmd += ["-map", "[v%d]" % i, "-map", "0:a"]
    for i, (_, _, kbps, akbps) in enumerate(LADDER):
        if codec == "h264":
            cmd += ["-c:v:%d" % i, "libx264", "-preset:v:%d" % i, "medium",
                    "-crf:v:%d" % i, "23", "-b:v:%d" % i, "%dk" % kbps,
                    "-maxrate:v:%d" % i, "%dk" % kbps, "-bufsize:v:%d" % i, "%dk" % (2 * kbps)]
        else:
            cmd += ["-c:v:%d" % i, "libsvtav1", "-preset:v:%d" % i, "8", "-crf:v:%d" % i, "30",
                    "-svtav1-params:v:%d" % i,
                    "mbr=%d:hierarchical-levels=%d" % (kbps, AV1_HIERARCHICAL_LEVELS)]
        cmd += ["-c:a:%d" % i, "aac", "-b:a:%d" % i, "%dk" % akbps, "-ac:a:%d" % i, "2"]
    cmd += ["-force_key_frames", "expr:gte(t,n_forced*%d)" % SEGMENT_SECONDS,
            "-var_stream_map", " ".join("v:%d,a:%d,name:%s" % (i, i, LADDER[i][0])
                                        for i in range(n)),
            "-hls_time", str(SEGMENT_SECONDS), "-hls_list_size", "0",
            "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
            "-hls_segment_filename", os.path.join(out, "%v", "seg_%04d.m4s"),
            "-master_pl_name", "master.m3u8", "-f", "hls", os.path.join(out, "%v", "stream.m3u8")]
    return cmd


def vtc_command(vtranscode, src, out, codec):
    ladder = ",".join("%s:%d:%d:%d" % r for r in LADDER)
    cmd = [vtranscode, "transcode", src, out, "--format", "cmaf", "--codec", codec,
           "--ladder", ladder, "--segment-seconds", str(SEGMENT_SECONDS), "--no-original"]
    if codec == "av1":
        cmd += ["--preset", "8", "--crf", "30",
                "--encoder-option", "hierarchical-levels=%d" % AV1_HIERARCHICAL_LEVELS]
    return cmd


def psnr(playlist, src, width, height):
    graph = ("[0:v]setpts=PTS-STARTPTS[a];"
             "[1:v]scale=%d:%d:flags=bicubic,setpts=PTS-STARTPTS[b];[a][b]psnr" % (width, height))
    result = sh(["ffmpeg", "-hide_banner", "-nostats", "-i", playlist, "-i", src,
                 "-lavfi", graph, "-f", "null", "-"])
    m = re.search(r"PSNR .* average:([0-9.]+|inf)", result.stderr)
    if not m:
        raise RuntimeError("no PSNR in ffmpeg output for " + playlist)
    return float(m.group(1))


def rendition_facts(out):
    facts = {}
    for name, height, _, _ in LADDER:
        playlist = os.path.join(out, name, "stream.m3u8")
        if not os.path.exists(playlist):
            raise RuntimeError("missing " + playlist)
        info = json.loads(sh(["ffprobe", "-v", "error", "-select_streams", "v:0",
                              "-show_entries", "stream=width,height", "-of", "json",
                              playlist]).stdout)["streams"][0]
        size = sum(os.path.getsize(os.path.join(out, name, f))
                   for f in os.listdir(os.path.join(out, name)) if f.endswith(".m4s"))
        facts[name] = {"playlist": playlist, "width": info["width"], "height": info["height"],
                       "bytes": size}
    return facts


def run_variants(label, variants, runs, workdir):
    """variants: name -> function(out_dir) -> command. Alternates the order. Output
    directories carry the label, so the h264 row's last outputs (kept for PSNR) are not
    overwritten by the av1 row's."""
    names = list(variants)
    samples = {n: [] for n in names}
    last_out = {}
    for r in range(runs):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            out = os.path.join(workdir, "%s-%s-run%d" % (label, name, r))
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            cmd = variants[name](out)
            samples[name].append(timed(cmd))
            print("  run %d %-12s %6.1f s wall %6.1f s cpu %6.0f MiB" % (
                r + 1, name, samples[name][-1]["wall_s"], samples[name][-1]["cpu_s"],
                samples[name][-1]["rss_mib"]), file=sys.stderr, flush=True)
            if name in last_out:
                shutil.rmtree(last_out[name], ignore_errors=True)
            last_out[name] = out
    medians = {}
    for name in names:
        medians[name] = {k: statistics.median(s[k] for s in samples[name])
                         for k in ("wall_s", "cpu_s", "rss_mib")}
        medians[name]["runs"] = samples[name]
        medians[name]["out"] = last_out[name]
    return medians


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vtranscode", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--out", default="bench/out")
    parser.add_argument("--memory-check", action="store_true",
                        help="also run vtranscode on a 60 s clip to show RSS is flat")
    parser.add_argument("--skip-av1", action="store_true")
    args = parser.parse_args()

    os.makedirs(args.out, exist_ok=True)
    src = os.path.abspath(os.path.join(args.out, "clip%ds.mp4" % args.seconds))
    make_clip(src, args.seconds)
    vt = os.path.abspath(args.vtranscode)
    report = {"date": time.strftime("%Y-%m-%d"), "cores": os.cpu_count(),
              "seconds": args.seconds, "runs": args.runs}

    print("h264 ladder, %d runs each" % args.runs, file=sys.stderr)
    h264 = run_variants("h264", {
        "vlog": lambda out: vlog_command(src, out),
        "single": lambda out: single_command(src, out, "h264"),
        "vtc": lambda out: vtc_command(vt, src, out, "h264"),
    }, args.runs, args.out)
    report["h264"] = h264

    if not args.skip_av1:
        print("av1 ladder (SVT-AV1 preset 8), %d runs each" % args.runs, file=sys.stderr)
        report["av1"] = run_variants("av1", {
            "single": lambda out: single_command(src, out, "av1"),
            "vtc": lambda out: vtc_command(vt, src, out, "av1"),
        }, args.runs, args.out)

    # PSNR per rendition, from the last run of each variant
    for codec in ("h264", "av1"):
        if codec not in report:
            continue
        for name, m in report[codec].items():
            facts = rendition_facts(m["out"])
            for q, f in facts.items():
                f["psnr_db"] = psnr(f["playlist"], src, f["width"], f["height"])
                f["kbps"] = f["bytes"] * 8 / 1000.0 / args.seconds
            m["renditions"] = facts

    if args.memory_check:
        long_src = os.path.abspath(os.path.join(args.out, "clip60s.mp4"))
        make_clip(long_src, 60)
        out = os.path.join(args.out, "vtc-60s")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        report["memory_60s"] = timed(vtc_command(vt, long_src, out, "h264"))
        shutil.rmtree(out, ignore_errors=True)

    for codec in ("h264", "av1"):
        for m in report.get(codec, {}).values():
            shutil.rmtree(m.pop("out"), ignore_errors=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(report, f, indent=2)
    print_report(report)
    return 0


def print_report(report):
    print("### %s, %d cores, %d s 1080p30 clip, median of %d runs\n" % (
        report["date"], report["cores"], report["seconds"], report["runs"]))
    for codec in ("h264", "av1"):
        if codec not in report:
            continue
        rows = report[codec]
        vtc = rows["vtc"]
        print("| %s | wall s | CPU s | peak RSS MiB | vtc wall ratio |" % codec)
        print("|---|---:|---:|---:|---:|")
        for name, m in rows.items():
            ratio = vtc["wall_s"] / m["wall_s"] if name != "vtc" else 1.0
            print("| %s | %.1f | %.1f | %.0f | %.2f |" % (name, m["wall_s"], m["cpu_s"],
                                                         m["rss_mib"], ratio))
        print()
        names = list(rows)
        print("| PSNR dB (kbps) | " + " | ".join(names) + " |")
        print("|---|" + "---:|" * len(names))
        for q, _, _, _ in LADDER:
            cells = []
            for name in names:
                r = rows[name].get("renditions", {}).get(q)
                cells.append("%.2f (%.0f)" % (r["psnr_db"], r["kbps"]) if r else "-")
            print("| %s | %s |" % (q, " | ".join(cells)))
        print()
    if "memory_60s" in report:
        m10 = report["h264"]["vtc"]["rss_mib"]
        m60 = report["memory_60s"]["rss_mib"]
        print("vtranscode peak RSS: %.0f MiB on the 10 s clip, %.0f MiB on a 60 s clip (%+.1f%%)"
              % (m10, m60, 100.0 * (m60 - m10) / m10))


if __name__ == "__main__":
    sys.exit(main())

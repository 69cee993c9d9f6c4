#!/usr/bin/env python3
"""Measures bounded-context strategies for `movinet segments` on the three shared samples glued
together (jumping jacks ×3 → carving ice → arm wrestling, 320×240 at 25 fps): boundary errors of
the spans against the true cuts, spans that should not be there, and each class's peak
probability inside its own part. Prints a Markdown table.

    tools/segments/measure_context.py [--shared ../shared] [--movinet .build/release/movinet] [configs…]

A config is `S,k,W,mode[,smooth]` (context seconds, runners, warm-up seconds or '-' for half the
context, freshest|confident|blend, and optionally the smoothing seconds), or `none` (one runner over the whole video: what `stream` does without
--context). Extra `segments` options can follow `--` (e.g. `-- --smooth 0.4`).
"""
import argparse, json, os, subprocess, sys, tempfile

CLASSES = ["jumping jacks", "carving ice", "arm wrestling"]


def glue(shared, out, order):
    """Makes the glued clip in `out` (parts in `order`, indices into CLASSES); returns its path and
    the true cut times (seconds)."""
    s = os.path.join(shared, "samples")
    vf = "scale=320:240:force_original_aspect_ratio=decrease,pad=320:240:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25,format=yuv420p"
    parts = [(["-stream_loop", "2", "-i", os.path.join(s, "jumpingjack.gif")], "a.mp4"),
             (["-i", os.path.join(s, "carving_ice.mp4")], "b.mp4"),
             (["-i", os.path.join(s, "mmaction2_demo.mp4")], "c.mp4")]
    parts = [parts[i] for i in order]
    frames = []
    for inp, name in parts:
        path = os.path.join(out, name)
        subprocess.run(["ffmpeg", "-nostdin", "-y", "-v", "error", *inp, "-vf", vf, "-an", "-c:v", "libx264",
                        "-crf", "18", path], check=True)
        n = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v", "-show_entries",
                            "stream=nb_read_frames", "-of", "csv=p=0", path], check=True, capture_output=True, text=True)
        frames.append(int(n.stdout.strip()))
    glued = os.path.join(out, "glued.mp4")
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-v", "error"] + sum((["-i", os.path.join(out, n)] for _, n in parts), [])
                   + ["-filter_complex", "[0:v][1:v][2:v]concat=n=3:v=1:a=0[v]", "-map", "[v]", "-c:v", "libx264",
                      "-crf", "18", glued], check=True)
    cuts = [sum(frames[:i]) / 25 for i in range(4)]   # 0, cut 1, cut 2, end
    return glued, cuts


def context_args(config):
    """The `segments` options of a config, and those of `stream` (without the span options)."""
    if config == "none":
        return ["--context", "100000", "--context-runners", "1"], []
    s, k, w, mode, *smooth = config.split(",")
    args = ["--context", s, "--context-runners", k]
    if w != "-":
        args += ["--context-warmup", w]
    args += ["--context-rule", mode]
    return args + (["--smooth", smooth[0]] if smooth else []), args


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "../../../shared"))
    ap.add_argument("--movinet", default=os.path.join(os.path.dirname(__file__), "../../.build/release/movinet"))
    ap.add_argument("--order", default="0,1,2", help="the parts' order, e.g. 2,1,0 for arm wrestling first")
    ap.add_argument("configs", nargs="*")
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    a = ap.parse_args(argv)
    configs = a.configs or ["none", "2,4,-,freshest", "3,4,-,freshest", "4,4,-,freshest", "6,4,-,freshest",
                            "4,2,-,freshest", "4,4,-,blend", "2,4,1,freshest", "3,6,1,freshest", "2,4,1,blend"]
    model = ["--model", os.path.join(a.shared, "models/movinet_a0_stream_int8.tflite"),
             "--labels", os.path.join(a.shared, "labels/kinetics600_labels.txt"), "--threads", "1"]
    with tempfile.TemporaryDirectory() as tmp:
        order = [int(i) for i in a.order.split(",")]
        classes = [CLASSES[i] for i in order]
        clip, cuts = glue(a.shared, tmp, order)
        print(f"clip: {clip}  true parts: " + ", ".join(f"{c} {cuts[i]:.2f}–{cuts[i + 1]:.2f} s" for i, c in enumerate(classes)))
        print()
        print("| context S, runners k, warm-up W, combination[, smooth] | cut 1 error (s) | cut 2 error (s) | max boundary error | other spans > 1 s | peak p in own part: " + " / ".join(classes) + " | spans |")
        print("|---|---|---|---|---|---|---|")
        for config in configs:
            cargs, stream_cargs = context_args(config)
            seg = subprocess.run([a.movinet, "segments", "--format", "jsonl", *model, *cargs, *extra, clip],
                                 check=True, capture_output=True, text=True).stdout
            spans = [json.loads(l) for l in seg.splitlines() if l.strip()]
            st = subprocess.run([a.movinet, "stream", "--every-frame", "--format", "jsonl", "--top-k", "600", *model,
                                 *stream_cargs, clip], check=True, capture_output=True, text=True).stdout
            frames = [json.loads(l) for l in st.splitlines() if l.strip() and '"frame"' in l]
            peaks = []
            for i, c in enumerate(classes):
                ps = [next(x["probability"] for x in f["top"] if x["label"] == c) for f in frames
                      if cuts[i] <= f["timestamp"] < cuts[i + 1]]
                peaks.append(max(ps))
            mains = {c: [s for s in spans if s["label"] == c] for c in classes}
            def first(c):
                return max(mains[c], key=lambda s: s["end"] - s["start"]) if mains[c] else None
            jj, ci, aw = (first(c) for c in classes)   # the first, second and third part's spans
            e1 = [abs(s - cuts[1]) for s in ([jj["end"]] if jj else []) + ([ci["start"]] if ci else [])]
            e2 = [abs(s - cuts[2]) for s in ([ci["end"]] if ci else []) + ([aw["start"]] if aw else [])]
            main_ids = {id(s) for s in (jj, ci, aw) if s}
            others = [s for s in spans if id(s) not in main_ids and s["end"] - s["start"] > 1.0]
            def fmt(e, n):
                return "/".join(f"{x:.1f}" for x in e) + ("" if len(e) == n else " (missing)")
            worst = max(e1 + e2) if e1 + e2 else float("nan")
            name = "none (one run)" if config == "none" else config.replace(",-,", ",S/2,")
            listing = "; ".join(f"{s['label']} {s['start']:.1f}–{s['end']:.1f}" for s in spans)
            print(f"| {name} | {fmt(e1, 2)} | {fmt(e2, 2)} | {worst:.1f} | {len(others)} | "
                  f"{peaks[0]:.2f} / {peaks[1]:.2f} / {peaks[2]:.2f} | {listing} |", flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Latency of `movinet stream --every-frame` on a live input, with movinet's own share separated
from the sender's.

The sender (an ffmpeg command writing the stream to its standard output, normally with -re) is
relayed by this script to movinet — through a pipe (`pipe:`), a TCP connection (`tcp://`) or UDP
datagrams (`udp://`, MPEG-TS in 1316-byte packets) — and every chunk's arrival time is noted. The
relayed bytes are kept and `ffprobe -show_packets` tells which bytes hold which frame. For each
record movinet prints (jsonl), three times are reported:

  produced  the moment the frame was produced: sender start + the frame's timestamp (-re paces
            the sender in real time, so this counts the sender's start-up against us too)
  arrived   when the bytes movinet needs to emit that record reached it: the frame's packet and
            the next sampled slot's first frame (the sampler decides which frame fills a slot
            when it sees a frame of a later slot)
  printed   when the record was read from movinet's standard output

`total` = printed - produced (what a user sees), `movinet` = printed - arrived (movinet's share:
demuxing, waiting for the next frame's timestamp to decide the sampling, decoding, inference,
writing); the rest is the sender's (encoder lookahead, muxer buffering).

Example (the issue's command):
  tools/live_latency.py --transport pipe -- \
      ffmpeg -v error -re -f lavfi -i testsrc2=size=320x240:rate=25 -t 14 -f matroska -
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--movinet", default=".build/release/movinet")
    ap.add_argument("--shared", default=os.environ.get("MOVINET_SHARED", "../shared"))
    ap.add_argument("--transport", choices=["pipe", "tcp", "udp"], default="pipe")
    ap.add_argument("--port", type=int, default=23456)
    ap.add_argument("--extra", default="", help="more movinet arguments, space-separated")
    ap.add_argument("--fps", type=float, default=5, help="movinet's sampling rate (as --fps)")
    ap.add_argument("--table", action="store_true", help="print every record's times")
    ap.add_argument("sender", nargs=argparse.REMAINDER, help="-- ffmpeg … (writing to stdout)")
    a = ap.parse_args()
    sender = a.sender[1:] if a.sender and a.sender[0] == "--" else a.sender
    if not sender:
        ap.error("give the sender command after --")

    model = os.path.join(a.shared, "models/movinet_a0_stream_int8.tflite")
    labels = os.path.join(a.shared, "labels/kinetics600_labels.txt")
    url = {"pipe": "pipe:", "tcp": f"tcp://127.0.0.1:{a.port}?listen=1",
           "udp": f"udp://127.0.0.1:{a.port}"}[a.transport]
    cmd = [a.movinet, "stream", "--every-frame", "--format", "jsonl", "-k", "1", "--model", model,
           "--labels", labels, "--fps", str(a.fps)] + a.extra.split() + [url]

    mv = subprocess.Popen(cmd, stdin=subprocess.PIPE if a.transport == "pipe" else subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    records = []

    def read_records():
        for line in mv.stdout:
            records.append((time.monotonic(), line))

    reader = threading.Thread(target=read_records)
    reader.start()
    sink = None
    if a.transport == "tcp":
        for _ in range(200):   # until movinet listens
            try:
                sink = socket.create_connection(("127.0.0.1", a.port))
                break
            except OSError:
                time.sleep(0.05)
    elif a.transport == "udp":
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        time.sleep(1.0)   # movinet binds the port (a datagram sent before is lost)

    t0 = time.monotonic()
    sp = subprocess.Popen(sender, stdout=subprocess.PIPE)
    arrivals = []   # (time, total bytes so far)
    kept = bytearray()
    pending = b""
    while True:
        chunk = os.read(sp.stdout.fileno(), 65536)
        if not chunk:
            break
        if a.transport == "pipe":
            mv.stdin.write(chunk)
            mv.stdin.flush()
        elif a.transport == "tcp":
            sink.sendall(chunk)
        else:
            pending += chunk
            while len(pending) >= 1316:
                sink.sendto(pending[:1316], ("127.0.0.1", a.port))
                pending = pending[1316:]
        kept += chunk
        arrivals.append((time.monotonic(), len(kept)))
    if a.transport == "udp" and pending:
        sink.sendto(pending, ("127.0.0.1", a.port))
    sp.wait()
    if a.transport == "pipe":
        mv.stdin.close()
    elif sink is not None:
        sink.close()
    if a.transport == "udp":
        time.sleep(1.0)
        mv.send_signal(2)   # UDP has no end: stop it as a user would
    mv.wait()
    reader.join()
    err = mv.stderr.read().decode(errors="replace")

    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(kept)
        f.flush()
        probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                                "packet=pts_time,pos,size", "-of", "json", f.name],
                               capture_output=True, check=True)
    packets = [p for p in json.loads(probe.stdout)["packets"] if "pts_time" in p and "pos" in p]
    first_pts = min(float(p["pts_time"]) for p in packets)

    def arrival(end_byte):
        for t, n in arrivals:
            if n >= end_byte:
                return t
        return arrivals[-1][0]

    frames = sorted((float(p["pts_time"]) - first_pts, int(p["pos"]) + int(p["size"])) for p in packets)
    rows = []
    for t_print, line in records:
        r = json.loads(line)
        if "frame" not in r:
            continue
        ts = r["timestamp"]
        # The sampler (FFmpeg's fps filter, round to nearest) fills slot k with the last frame whose
        # slot is k, which is known when the first frame of a later slot arrives: every byte up to
        # that frame's packet (and those of frames decoded before it) must have arrived.
        decision = (r["frame"] + 0.5) / a.fps
        later = [pts for pts, _ in frames if pts > decision - 1e-6]
        cut = later[0] if later else frames[-1][0]
        end_byte = max(e for pts, e in frames if pts <= cut + 1e-6)
        produced = t0 + ts
        rows.append((r["frame"], ts, t_print - produced, t_print - arrival(end_byte)))
    if not rows:
        sys.exit(f"no records; movinet said: {err}")
    if a.table:
        print("frame  timestamp  total_s  movinet_s")
        for fr, ts, total, own in rows:
            print(f"{fr:5d}  {ts:9.3f}  {total:7.3f}  {own:9.3f}")
    totals = [r[2] for r in rows]
    owns = [r[3] for r in rows]
    print(f"{a.transport}: {len(rows)} records; first record {rows[0][2] + rows[0][1]:.3f} s after the "
          f"sender started; total latency median {statistics.median(totals):.3f} s, max {max(totals):.3f} s; "
          f"movinet's share median {statistics.median(owns):.3f} s, max {max(owns):.3f} s; exit {mv.returncode}")


if __name__ == "__main__":
    main()

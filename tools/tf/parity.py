#!/usr/bin/env python3
# Full-size parity: official TF MoViNet (random weights) vs the movinet engine, all six models.
#
# Run by hand (never in CI), after `swift build -c release`:
#
#   /work/movinet-ref/bin/python tools/tf/parity.py --out /work/tf-fixtures
#   /work/movinet-ref/bin/python tools/tf/parity.py --out /work/tf-fixtures --skip-generate --models a0
#   /work/movinet-ref/bin/python tools/tf/parity.py --out /work/tf-fixtures --timing
#
# Step 1 (unless --skip-generate) runs make_reference.py per model and flavour: checkpoint, SavedModel,
# random clips (8 frames at 172 (A2: 224), 171 and 173) and TF logits (base: XLA-compiled; stream: one
# frame per call). Step 2 runs the engine on every clip with every artifact form (checkpoint prefix,
# its folder, the SavedModel) and prints a table: max|Δlogit|, max|ref|, ratio to the budget
# (1e-4·max|ref| + 1e-5) and pass/fail. For stream, every frame's logits are compared, and the
# engine's per-frame run must give the same final logits as one call on the whole clip when the
# engine command for that exists (--engine-stream-onecall).
#
# The engine step is a command template, so it can follow the CLI as it evolves:
#   {movinet} the binary, {model} the artifact path, {clip} the .npy clip, {size} its height/width.
# Its stdout is JSON (base) or JSON lines (stream); the first "logits" array found in each JSON
# value is used (for stream, one line per frame).
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

p = argparse.ArgumentParser(description=__doc__)
p.add_argument('--out', default='/work/tf-fixtures')
p.add_argument('--models', default='a0,a1,a2')
p.add_argument('--flavours', default='base,stream')
p.add_argument('--frames', type=int, default=8)
p.add_argument('--seed', type=int, default=1)
p.add_argument('--skip-generate', action='store_true')
p.add_argument('--movinet', default=os.path.join(ROOT, '.build/release/movinet'))
p.add_argument('--engine-base',
               default='{movinet} classify --model {model} {clip} --format json --logits --size {size} --fps 0 -q')
p.add_argument('--engine-stream',
               default='{movinet} stream --every-frame --model {model} {clip} --format jsonl --logits --size {size} --fps 0 -q')
p.add_argument('--forms', default='prefix,folder,savedmodel', help='artifact forms to run the engine on')
p.add_argument('--timing', action='store_true',
               help='A0 base on a 50-frame 172×172 clip: TF (XLA and not) and the engine, back to back')
p.add_argument('--timing-repeats', type=int, default=3)
p.add_argument('--engine-bench',
               default='{movinet} bench --model {model} --clip-frames 50 --frames 150 --threads {threads} --size 172 --format json',
               help='engine compute-only timing command (printed as is)')
p.add_argument('--threads', type=int, default=2, help='engine threads for the timing (TF uses all cores)')
args = p.parse_args()

PY = sys.executable


def sizes_for(model):
    return [224 if model == 'a2' else 172, 171, 173]


def generate(model, flavour):
    cmd = [PY, os.path.join(HERE, 'make_reference.py'), '--models', model, '--flavours', flavour,
           '--sizes', ','.join(map(str, sizes_for(model))), '--frames', str(args.frames),
           '--out', args.out, '--seed', str(args.seed)]
    print('+', ' '.join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, stdout=sys.stderr)


def find_logits(value):
    if isinstance(value, dict):
        if 'logits' in value and isinstance(value['logits'], list):
            return value['logits']
        for v in value.values():
            r = find_logits(v)
            if r is not None:
                return r
    if isinstance(value, list):
        for v in value:
            r = find_logits(v)
            if r is not None:
                return r
    return None


def run_engine(template, model_path, clip, size):
    cmd = template.format(movinet=args.movinet, model=model_path, clip=clip, size=size)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f'{cmd}\nexit {r.returncode}\n{r.stderr.strip()[:2000]}')
    text = r.stdout.strip()
    try:
        rows = [find_logits(json.loads(text))]
    except json.JSONDecodeError:
        rows = [find_logits(json.loads(line)) for line in text.splitlines() if line.strip()]
    if any(x is None for x in rows):
        raise RuntimeError(f'{cmd}\nno "logits" in the output:\n{text[:500]}')
    return np.asarray(rows, dtype=np.float64), elapsed


def forms(d):
    ck = os.path.join(d, 'ckpt')
    prefix = os.path.join(ck, 'ckpt-1')
    all_forms = {'prefix': prefix, 'folder': ck, 'savedmodel': os.path.join(d, 'savedmodel')}
    return [(k, all_forms[k]) for k in args.forms.split(',') if os.path.exists(all_forms[k]) or k == 'prefix']


def parity():
    rows = []
    for model in args.models.split(','):
        for flavour in args.flavours.split(','):
            if not args.skip_generate:
                generate(model, flavour)
            d = os.path.join(args.out, f'{model}-{flavour}')
            for size in sizes_for(model):
                clip = os.path.join(d, f'clip-{size}.npy')
                ref = np.load(os.path.join(d, f'logits-{size}.npy')).astype(np.float64)
                ref = ref.reshape(1, -1) if flavour == 'base' else ref
                for form, path in forms(d):
                    template = args.engine_base if flavour == 'base' else args.engine_stream
                    try:
                        got, _ = run_engine(template, path, clip, size)
                    except RuntimeError as e:
                        rows.append((model, flavour, size, form, None, float(np.abs(ref).max()), None, 'ERROR'))
                        print(e, file=sys.stderr)
                        continue
                    if got.shape != ref.shape:
                        rows.append((model, flavour, size, form, None, float(np.abs(ref).max()), None,
                                     f'SHAPE {got.shape} vs {ref.shape}'))
                        continue
                    delta = float(np.abs(got - ref).max())
                    mref = float(np.abs(ref).max())
                    budget = 1e-4 * mref + 1e-5
                    rows.append((model, flavour, size, form, delta, mref, delta / budget,
                                 'pass' if delta <= budget else 'FAIL'))
    print('| model | size | artifact | max abs Δ | max abs ref | Δ / budget | result |')
    print('|---|---|---|---|---|---|---|')
    for model, flavour, size, form, delta, mref, ratio, result in rows:
        f = (lambda x: '–' if x is None else f'{x:.3g}')
        print(f'| {model} {flavour} | {size} | {form} | {f(delta)} | {f(mref)} | {f(ratio)} | {result} |')
    return all(r[-1] == 'pass' for r in rows)


def timing():
    d = os.path.join(args.out, 'timing')
    os.makedirs(d, exist_ok=True)
    if not os.path.exists(os.path.join(d, 'a0-base', 'ckpt', 'ckpt-1.index')):
        subprocess.run([PY, os.path.join(HERE, 'make_reference.py'), '--models', 'a0', '--flavours', 'base',
                        '--sizes', '172', '--frames', '50', '--out', d, '--no-savedmodel',
                        '--seed', str(args.seed)], check=True, stdout=sys.stderr)
    prefix = os.path.join(d, 'a0-base', 'ckpt', 'ckpt-1')
    clip = os.path.join(d, 'a0-base', 'clip-172.npy')
    # TensorFlow on the same checkpoint (in its own process, then the engine, back to back).
    r = subprocess.run([PY, os.path.join(HERE, 'make_reference.py'), '--out', d, '--timing',
                        '--timing-checkpoint', prefix, '--timing-repeats', str(args.timing_repeats)],
                       check=True, capture_output=True, text=True)
    for line in r.stdout.splitlines():
        print(line)
    times = []
    for _ in range(args.timing_repeats):
        _, elapsed = run_engine(args.engine_base + ' --threads {threads}'.format(threads=args.threads), prefix, clip, 172)
        times.append(elapsed)
    print(json.dumps({'what': 'engine classify (process wall time incl. model load and .npy read)', 'frames': 50,
                      'size': 172, 'threads': args.threads, 'median_s': statistics.median(times), 'all_s': times}))
    cmd = args.engine_bench.format(movinet=args.movinet, model=prefix, threads=args.threads)
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    print(json.dumps({'what': 'engine bench', 'command': cmd, 'exit': r.returncode}))
    print(r.stdout.strip() or r.stderr.strip()[:1000])


if __name__ == '__main__':
    if args.timing:
        timing()
    else:
        sys.exit(0 if parity() else 1)

#!/usr/bin/env python3
"""Independent numpy emulation of the TF Hub A0 stream int8 TFLite graph in XNNPACK's integer
arithmetic, op by op, to pin down each operator's rounding against LiteRT.
usage: int8_emulate.py MODEL.tflite FRAMES.u8 T [REFERENCE.logits.f32]"""
import sys
import numpy as np
from ai_edge_litert.interpreter import Interpreter

model, frames_path, T = sys.argv[1], sys.argv[2], int(sys.argv[3])
ref = np.fromfile(sys.argv[4], np.float32).reshape(-1, 600) if len(sys.argv) > 4 else None
it = Interpreter(model_path=model)
it.allocate_tensors()
td = {t['index']: t for t in it.get_tensor_details()}
ops = it._get_ops_details()
f32 = np.float32

def q(i):
    p = td[i]['quantization_parameters']
    return p['scales'].astype(f32), p['zero_points'].astype(np.int64)

const = {}
for i, t in td.items():
    try:
        v = it.get_tensor(i)
        if t['name'].startswith('serving_default') or t['name'].startswith('StatefulPartitionedCall'):
            pass
        const[i] = v
    except Exception:
        pass

def rint(x):  # round half to even, like lrintf / cvtps2dq
    return np.rint(x)

def requant(acc, scale, zp, lo=-128, hi=127):
    y = acc.astype(f32) * scale.astype(f32)
    y = np.minimum(np.maximum(y, f32(lo - zp)), f32(hi - zp))
    return (rint(y).astype(np.int64) + zp).astype(np.int8)

def conv(x, xi, w, b, wi, yi, stride, depthwise):
    sx, zx = q(xi); sw, _ = q(wi); sy, zy = q(yi)
    scale = (sx[0] * sw / sy[0]).astype(f32)   # fp32: input_scale * kernel_scale / output_scale
    x = x.astype(np.int64) - zx[0]
    n, h, wd, c = x.shape
    if depthwise:
        _, kh, kw, oc = w.shape
    else:
        oc, kh, kw, _ = w.shape
    oh, ow = td[yi]['shape'][1], td[yi]['shape'][2]
    if stride == 1 and kh == oh - h + kh and False:
        pass
    # SAME padding when the output keeps ceil(in/stride), VALID otherwise
    same = (oh == -(-h // stride)) and (ow == -(-wd // stride)) and not (kh > 1 and oh == h - kh + 1 and oh != -(-h // stride))
    if same:
        ph = max((oh - 1) * stride + kh - h, 0); pw = max((ow - 1) * stride + kw - wd, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    acc = np.zeros((n, oh, ow, oc), np.int64) + b.astype(np.int64)
    for dy in range(kh):
        for dx in range(kw):
            patch = x[:, dy:dy + stride * (oh - 1) + 1:stride, dx:dx + stride * (ow - 1) + 1:stride, :]
            if depthwise:
                acc += patch * w[0, dy, dx, :].astype(np.int64)
            else:
                acc += np.einsum('nhwc,oc->nhwo', patch, w[:, dy, dx, :].astype(np.int64))
    return requant(acc, scale, zy[0])

def add_q(a, ai, b, bi, yi):
    sa, za = q(ai); sb, zb = q(bi); sy, zy = q(yi)
    a_s = f32(sa[0] / sy[0]); b_s = f32(sb[0] / sy[0])
    m = max(a_s, b_s)
    exp = int((np.array([m], f32).view(np.uint32)[0] >> 23)) - 127
    shift = 20 - exp
    am = int(np.rint(np.ldexp(np.float64(a_s), shift))); bm = int(np.rint(np.ldexp(np.float64(b_s), shift)))
    bias = (1 << (shift - 1)) - am * int(za[0]) - bm * int(zb[0])
    acc = bias + a.astype(np.int64) * am + b.astype(np.int64) * bm
    out = (acc >> shift) + int(zy[0])
    return np.clip(out, -128, 127).astype(np.int8)

def mul_q(a, ai, b, bi, yi):
    sa, za = q(ai); sb, zb = q(bi); sy, zy = q(yi)
    scale = f32(f32(sa[0] * sb[0]) / sy[0])
    acc = (a.astype(np.int64) - za[0]) * (b.astype(np.int64) - zb[0])
    return requant(acc, np.array(scale, f32), zy[0])

def avgpool(x, xi, yi):
    # TFLite int8 AveragePool (XNNPACK takes only float pools): 3x3/2 SAME, divisor = valid cells,
    # rounding half away from zero.
    n, h, w, c = x.shape
    oh, ow = td[yi]['shape'][1], td[yi]['shape'][2]
    ph = max((oh - 1) * 2 + 3 - h, 0); pw = max((ow - 1) * 2 + 3 - w, 0)
    out = np.zeros((n, oh, ow, c), np.int8)
    for oy in range(oh):
        for ox in range(ow):
            y0 = oy * 2 - ph // 2; x0 = ox * 2 - pw // 2
            ys = range(max(y0, 0), min(y0 + 3, h)); xs = range(max(x0, 0), min(x0 + 3, w))
            s = x[:, ys.start:ys.stop, xs.start:xs.stop, :].astype(np.int64).sum(axis=(1, 2))
            cnt = len(ys) * len(xs)
            v = np.where(s > 0, (s + cnt // 2) // cnt, -((-s + cnt // 2) // cnt))
            out[:, oy, ox, :] = np.clip(v, -128, 127)
    return out

SUM_MODE = 'xnn'
def sum_q(x, xi, axes, yi):
    sx, zx = q(xi); sy, zy = q(yi)
    ax = tuple(int(a) for a in axes)
    cnt = int(np.prod([x.shape[a] for a in ax]))
    acc = (x.astype(np.int64) - zx[0]).sum(axis=ax, keepdims=True)
    scale = f32(sx[0] / sy[0])
    return requant(acc, np.array(scale, f32), zy[0])

state_in = {}
sig = it.get_signature_runner()
det = sig.get_input_details()
frames = np.fromfile(frames_path, np.uint8).reshape(-1, 172, 172, 3)
# map signature names → tensor indices
inputs = {k: v['index'] for k, v in det.items()}
outs = {k: v['index'] for k, v in sig.get_output_details().items()}
states = {k: np.zeros(d['shape'], d['dtype']) for k, d in det.items() if k != 'image'}
worst = 0
for t in range(min(T, len(frames))):
    val = {}
    for k, i in inputs.items():
        val[i] = (frames[t].astype(f32) / f32(255)).reshape(1, 1, 172, 172, 3) if k == 'image' else states[k]
    for o in ops:
        name = o['op_name']; ins = list(o['inputs']); y = o['outputs'][0]
        if name == 'DELEGATE': continue
        get = lambda i: val[i] if i in val else const[i]
        if name == 'QUANTIZE':
            s, z = q(y); x = get(ins[0]).astype(f32)
            v = rint(np.minimum(np.maximum(x * f32(f32(1) / s[0]), f32(-128 - z[0])), f32(127 - z[0]))) + z[0]
            val[y] = v.astype(np.int8)
        elif name == 'DEQUANTIZE':
            s, z = q(ins[0]); val[y] = ((get(ins[0]).astype(np.int32) - z[0]).astype(f32) * s[0]).astype(f32)
        elif name == 'RESHAPE':
            val[y] = get(ins[0]).reshape(td[y]['shape'])
        elif name == 'CONV_2D' or name == 'DEPTHWISE_CONV_2D':
            x = get(ins[0]); oh = td[y]['shape'][1]; stride = 2 if oh != x.shape[1] and oh == -(-x.shape[1] // 2) else 1
            if name == 'DEPTHWISE_CONV_2D' and td[ins[1]]['shape'][2] == 1:  # temporal [1, kt, 1, C] VALID
                w = const[ins[1]]; kt = w.shape[1]
                sx, zx = q(ins[0]); sw, _ = q(ins[1]); sy, zy = q(y)
                scale = (sx[0] * sw / sy[0]).astype(f32)
                xx = x.astype(np.int64) - zx[0]
                acc = const[ins[2]].astype(np.int64) + sum(xx[:, k:k + 1] * w[0, k, 0].astype(np.int64) for k in range(kt))
                val[y] = requant(acc, scale, zy[0])
            else:
                val[y] = conv(x, ins[0], const[ins[1]], const[ins[2]], ins[1], y, 2 if stride == 2 else 1, name == 'DEPTHWISE_CONV_2D')
        elif name == 'ADD':
            a, b = get(ins[0]), get(ins[1])
            if td[y]['dtype'] == np.int32:
                val[y] = (a + b).astype(np.int32)
            else:
                val[y] = add_q(a, ins[0], b, ins[1], y)
        elif name == 'MUL':
            val[y] = mul_q(get(ins[0]), ins[0], get(ins[1]), ins[1], y)
        elif name == 'AVERAGE_POOL_2D':
            val[y] = avgpool(get(ins[0]), ins[0], y)
        elif name == 'CONCATENATION':
            assert all((q(i)[0] == q(y)[0]).all() and (q(i)[1] == q(y)[1]).all() for i in ins)
            val[y] = np.concatenate([get(i) for i in ins], axis=1)
        elif name == 'STRIDED_SLICE':
            b_, e_, s_ = const[ins[1]], const[ins[2]], const[ins[3]]
            # MoViNet's slices keep the last frames of a stream buffer (begin/end masks aside):
            # every axis with a shorter output is cut from its begin.
            x = get(ins[0]); oshape = td[y]['shape']
            assert (s_ == 1).all()
            sl = tuple(slice(0, x.shape[d]) if oshape[d] == x.shape[d] else slice(int(b_[d]) % x.shape[d], int(b_[d]) % x.shape[d] + int(oshape[d])) for d in range(x.ndim))
            val[y] = x[sl]; assert val[y].shape == tuple(oshape), (val[y].shape, oshape, b_, e_)
        elif name == 'SUM':
            val[y] = sum_q(get(ins[0]), ins[0], const[ins[1]], y)
        elif name == 'CAST':
            val[y] = get(ins[0]).astype(f32)
        elif name == 'DIV':
            val[y] = (get(ins[0]) / get(ins[1])).astype(f32)
        else:
            raise SystemExit(f'op {name}')
    if t == 0 and '--debug' in sys.argv:
        R = np.load('/tmp/ref_tensors.npy', allow_pickle=True).item()
        for o in ops:
            if o['op_name'] == 'DELEGATE': continue
            y = o['outputs'][0]
            if y not in R: continue
            a, b = val[y].astype(np.float64), R[y].astype(np.float64)
            d = np.abs(a - b)
            print(o['index'], o['op_name'], td[y]['name'][:60], 'maxdiff', d.max(), 'ndiff', int((d > 0).sum()), 'of', d.size)
    states = {k: val[i] for k, i in outs.items() if k != 'logits'}
    logits = val[outs['logits']].reshape(-1)
    if ref is not None:
        d = np.abs(logits - ref[t]); sc = q([o for o in ops if o['op_name'] == 'DEQUANTIZE'][-1]['inputs'][0])[0][0]
        print(f'frame {t}: {int((d > 0).sum())} of 600 differ, max {d.max() / sc:.1f} quanta; top1 {logits.argmax()} ref {ref[t].argmax()}')

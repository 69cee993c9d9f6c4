#!/usr/bin/env python3
"""Builds random-weight MoViNet stream models in the official flavour with the official TF code,
converts them to TFLite and records LiteRT per-frame logits: the TFLite importer's test fixtures.

Run with the venv that has tf-models-official and ai-edge-litert (docs/tf-reference.md):

    ../movinet-ref/bin/python tools/tflite/make_fixtures.py tiny  Tests/MoViNetTests/Fixtures/tflite
    ../movinet-ref/bin/python tools/tflite/make_fixtures.py a0    ../tflite-fixtures       (full size)
    ../movinet-ref/bin/python tools/tflite/make_fixtures.py a2    ../tflite-fixtures       (full size, float32)
    ../movinet-ref/bin/python tools/tflite/make_fixtures.py image Tests/MoViNetTests/Fixtures/tflite
    ../movinet-ref/bin/python tools/tflite/make_fixtures.py micro_linear_gate Tests/MoViNetTests/Fixtures/tflite
    ../movinet-ref/bin/python tools/tflite/make_fixtures.py micro96 Tests/MoViNetTests/Fixtures/tflite

`tiny` monkeypatches movinet.BLOCK_SPECS with a reduced table (every block's first layer strided
and changing channels like the real tables; block3 keeps channels with an identity residual),
input 32x32, 7 classes. Outputs per model: <name>.tflite, <name>.clip.f32 (T,H,W,3 in [0,1]) and
<name>.logits.f32 (T,classes), LiteRT, zero initial states, one frame per call. For the int8-weight
file LiteRT's hybrid kernels also quantize activations on the fly, so <name>.float_logits.f32 holds
LiteRT logits of the same graph with every int8 weight dequantized to float32 (what a float engine
must reproduce). <prefix>.keras.json holds Keras variables that pass through the export unchanged
(no batch norm folded into them): an independent check of the importer's values. `image` writes a
small Keras 2D image classifier (a non-MoViNet file the importer must refuse).
"""
import os
import sys
import tempfile

import numpy as np
import tensorflow as tf
import tf_keras

from official.projects.movinet.modeling import movinet, movinet_model
from official.projects.movinet.tools import export_saved_model

K13, K15, K33, K53 = (1, 3, 3), (1, 5, 5), (3, 3, 3), (5, 3, 3)
S11, S12 = (1, 1, 1), (1, 2, 2)

TINY_SPECS = (
    movinet.StemSpec(filters=8, kernel_size=K13, strides=S12),
    movinet.MovinetBlockSpec(base_filters=8, expand_filters=(16,), kernel_sizes=(K15,), strides=(S12,)),
    movinet.MovinetBlockSpec(base_filters=16, expand_filters=(32, 24), kernel_sizes=(K33, K33),
                             strides=(S12, S11)),
    movinet.MovinetBlockSpec(base_filters=24, expand_filters=(48,), kernel_sizes=(K53,), strides=(S12,)),
    movinet.MovinetBlockSpec(base_filters=24, expand_filters=(40,), kernel_sizes=(K33,), strides=(S11,)),
    movinet.MovinetBlockSpec(base_filters=32, expand_filters=(64, 48), kernel_sizes=(K53, K15),
                             strides=(S12, S11)),
    movinet.HeadSpec(project_filters=48, head_filters=64),
)

# An even smaller table for the classic-Keras gate variant (one layer per block).
MICRO_SPECS = (
    movinet.StemSpec(filters=4, kernel_size=K13, strides=S12),
    movinet.MovinetBlockSpec(base_filters=4, expand_filters=(8,), kernel_sizes=(K15,), strides=(S12,)),
    movinet.MovinetBlockSpec(base_filters=8, expand_filters=(16,), kernel_sizes=(K33,), strides=(S12,)),
    movinet.MovinetBlockSpec(base_filters=8, expand_filters=(16,), kernel_sizes=(K53,), strides=(S12,)),
    movinet.MovinetBlockSpec(base_filters=8, expand_filters=(16,), kernel_sizes=(K33,), strides=(S11,)),
    movinet.MovinetBlockSpec(base_filters=12, expand_filters=(24,), kernel_sizes=(K53,), strides=(S12,)),
    movinet.HeadSpec(project_filters=16, head_filters=16),
)

FRAMES = 5


def build(model_id, size, classes, seed):
    tf_keras.utils.set_random_seed(seed)
    input_specs = tf_keras.layers.InputSpec(shape=(1, 1, size, size, 3))
    backbone = movinet.Movinet(
        model_id=model_id, causal=True, use_positional_encoding=False, conv_type='2plus1d',
        se_type='2plus3d', input_specs=input_specs, activation='hard_swish',
        gating_activation='hard_sigmoid', use_sync_bn=False, use_external_states=True)
    model = movinet_model.MovinetClassifier(
        backbone, num_classes=classes, output_states=True, input_specs=dict(image=input_specs),
        activation='simple_swish')
    model.build([1, 1, 1, 1, 3])
    rng = np.random.default_rng(seed)
    # Non-trivial BN statistics, biases and rezero scales, so that folding and residuals matter.
    for v in model.variables:
        n, shape = v.name, v.shape
        if n.endswith('gamma:0') or n.endswith('moving_variance:0'):
            v.assign(rng.uniform(0.5, 1.5, shape).astype(np.float32))
        elif n.endswith('beta:0') or n.endswith('moving_mean:0') or n.endswith('bias:0'):
            v.assign(rng.normal(0, 0.1, shape).astype(np.float32))
        elif 'rezero' in n or n.endswith('scale:0'):
            v.assign(rng.uniform(0.3, 1.0, shape).astype(np.float32))
    return model


def convert(saved, kind):
    conv = tf.lite.TFLiteConverter.from_saved_model(saved)
    if kind == 'float16':
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.target_spec.supported_types = [tf.float16]
    elif kind == 'int8w':
        # Dynamic-range quantization: int8 weights (per-channel), float activations.
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    return conv.convert()


def litert_logits(path, clip):
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_path=path)
    runner = it.get_signature_runner()
    inputs = runner.get_input_details()
    states = {k: np.zeros(d['shape'], d['dtype']) for k, d in inputs.items() if k != 'image'}
    out = []
    for t in range(clip.shape[0]):
        res = runner(**states, image=clip[None, t:t + 1])
        out.append(res['logits'][0].astype(np.float32))
        states = {k: res[k] for k in states}
    return np.stack(out)


def keras_logits(model, clip):
    states = model.init_states(tf.constant([1, 1] + list(clip.shape[1:])))
    out = []
    for t in range(clip.shape[0]):
        logits, states = model({**states, 'image': clip[None, t:t + 1]})
        out.append(logits.numpy()[0])
    return np.stack(out)


def stream_models(model_id, size, classes, outdir, prefix, kinds, seed=1, clip_prefix=None, frames=FRAMES):
    model = build(model_id, size, classes, seed)
    clip_prefix = clip_prefix or prefix
    rng = np.random.default_rng(101)  # the same clip for every model of a size
    clip = rng.uniform(0, 1, (frames, size, size, 3)).astype(np.float32)
    ref = keras_logits(model, clip)
    keras_values(model, os.path.join(outdir, f'{prefix}.keras.json'))
    with tempfile.TemporaryDirectory() as tmp:
        export_saved_model.export_saved_model(
            model=model, input_shape=(1, 1, size, size, 3), export_path=tmp, causal=True,
            bundle_input_init_states_fn=False)
        clip.tofile(os.path.join(outdir, f'{clip_prefix}.clip.f32'))
        for kind in kinds:
            name = f'{prefix}_{kind}'
            path = os.path.join(outdir, name + '.tflite')
            with open(path, 'wb') as f:
                f.write(convert(tmp, kind))
            logits = litert_logits(path, clip)
            logits.tofile(os.path.join(outdir, name + '.logits.f32'))
            if kind == 'int8w':
                with tempfile.TemporaryDirectory() as tmp2:
                    dq = os.path.join(tmp2, 'dq.tflite')
                    dequantize_weights(path, dq)
                    fl = litert_logits(dq, clip)
                fl.tofile(os.path.join(outdir, name + '.float_logits.f32'))
                print(f'{name} dequantized: max|LiteRT float - Keras| {np.abs(fl - ref).max():.3g}')
            print(f'{name}: {os.path.getsize(path)} B, classes {classes}, frames {frames}, '
                  f'max|LiteRT-Keras| {np.abs(logits - ref).max():.3g}, max|Keras| {np.abs(ref).max():.3g}')


def dequantize_weights(src, dst):
    """Rewrites every quantized constant tensor of a TFLite file as float32 (scale·(q − zero))."""
    from tensorflow.lite.python import schema_py_generated as schema
    with open(src, 'rb') as f:
        m = schema.ModelT.InitFromPackedBuf(f.read(), 0)
    for sg in m.subgraphs:
        for t in sg.tensors:
            q, buf = t.quantization, m.buffers[t.buffer]
            if t.type != schema.TensorType.INT8 or q is None or q.scale is None or buf.data is None:
                continue
            shape = list(t.shape)
            v = np.frombuffer(bytes(bytearray(buf.data)), np.int8).reshape(shape).astype(np.float64)
            bshape = [1] * len(shape)
            if len(q.scale) > 1:
                bshape[q.quantizedDimension] = -1
            scale = np.asarray(q.scale, np.float64).reshape(bshape)
            zero = np.asarray(q.zeroPoint, np.float64).reshape(bshape if len(q.zeroPoint) > 1 else [1] * len(shape))
            buf.data = np.frombuffer(((v - zero) * scale).astype(np.float32).tobytes(), np.uint8)
            t.type = schema.TensorType.FLOAT32
            t.quantization = None
    import flatbuffers
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b'TFL3')
    with open(dst, 'wb') as f:
        f.write(b.Output())


def keras_values(model, path):
    """Variables the export keeps as they are: SE and classifier convs, ReZero scales."""
    import json
    keep = {}
    for v in model.variables:
        n = v.name
        if ('se_' in n or 'classifier_head' in n or 'rezero' in n or 'scale' in n) and 'batch_norm' not in n:
            keep[n] = {'shape': list(v.shape), 'first': [float(x) for x in v.numpy().reshape(-1)[:4]],
                       'last': float(v.numpy().reshape(-1)[-1])}
    with open(path, 'w') as f:
        json.dump(keep, f, indent=1, sort_keys=True)


def image_classifier(outdir):
    tf_keras.utils.set_random_seed(3)
    m = tf_keras.Sequential([
        tf_keras.layers.Input((32, 32, 3), name='image'),
        tf_keras.layers.Conv2D(8, 3, strides=2, activation='relu', name='conv'),
        tf_keras.layers.GlobalAveragePooling2D(),
        tf_keras.layers.Dense(5, name='logits')])
    for name, offsets in [('image_classifier', False), ('image_classifier_offsets', True)]:
        conv = tf.lite.TFLiteConverter.from_keras_model(m)
        # Buffers stored after the flatbuffer, addressed by Buffer.offset/size (the >2 GB layout).
        conv._experimental_use_buffer_offset = offsets
        path = os.path.join(outdir, name + '.tflite')
        with open(path, 'wb') as f:
            f.write(conv.convert())
        print(f'{name}: {os.path.getsize(path)} B')


def main():
    what, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    if what == 'tiny':
        movinet.BLOCK_SPECS['tiny'] = TINY_SPECS
        stream_models('tiny', 32, 7, outdir, 'tiny_stream', ['float32', 'float16', 'int8w'])
    elif what == 'micro_linear_gate':
        # The SE gate as classic Keras hard_sigmoid, clamp(0.2x + 0.5, 0, 1), as older Model Garden
        # code resolved 'hard_sigmoid' (spec §3.6).
        from official.modeling import activations
        activations.hard_sigmoid = tf_keras.activations.hard_sigmoid
        movinet.BLOCK_SPECS['micro'] = MICRO_SPECS
        stream_models('micro', 32, 3, outdir, 'micro_linear_gate', ['float32'], seed=2,
                      clip_prefix='tiny_stream')
    elif what == 'micro96':
        # float16 at 96x96: the head's mean runs over 3x3, and float16 keeps 1/9 (and the gate's
        # 0.16667) rounded, so the file's pooling and gate constants are not the exact ones.
        movinet.BLOCK_SPECS['micro'] = MICRO_SPECS
        stream_models('micro', 96, 3, outdir, 'micro96', ['float16'], seed=3, frames=2)
    elif what == 'a0':
        stream_models('a0', 172, 600, outdir, 'a0_stream_official', ['float16', 'float32'])
    elif what == 'a2':
        # The float A2 file of issue 9's speed goal (bench against bench_litert.py on it).
        stream_models('a2', 224, 600, outdir, 'a2_stream_official', ['float32'])
    elif what == 'image':
        image_classifier(outdir)
    else:
        raise SystemExit(f'unknown target {what}')


if __name__ == '__main__':
    main()

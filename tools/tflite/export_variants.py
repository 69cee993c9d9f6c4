#!/usr/bin/env python3
"""Exports fine-tuned MoViNet stream classifiers to TFLite the way users do, in every common
converter setting, with the references the importer is checked against (issue 11).

Like the transfer-learning tutorial: build an official stream classifier (hard-swish, 2plus3d SE,
hard-sigmoid gate, external states), replace the head with N classes, train a few steps on random
data, export a SavedModel with a static [1, 1, S, S, 3] image input and convert it with
tf.lite.TFLiteConverter. Run with a venv that has tf-models-official and ai-edge-litert
(README, Development):

    ../movinet-ref/bin/python tools/tflite/export_variants.py micro Tests/MoViNetTests/Fixtures/tflite/variants
    ../movinet-ref/bin/python tools/tflite/export_variants.py a0 ../tflite-variants/a0     (full size, not committed)
    ../movinet-ref/bin/python tools/tflite/export_variants.py a1 ../tflite-variants/a1

Variants (file <prefix>_<variant>.tflite):
  float32, float16          plain conversion; float16 weights
  drq                       dynamic-range: int8 weights, float activations (LiteRT quantizes them on the fly)
  int8f                     full-integer with a representative dataset, float input/output
  int8io                    the same with int8 input/output (TFLITE_BUILTINS_INT8)
  int8f_oldq                int8f with experimental_new_quantizer = False
  float32_call, drq_call,   the SavedModel's signature named `call` instead of `serving_default`
  int8f_call
For each: <prefix>_<variant>.litert.f32 (LiteRT logits per frame, T×N, float32, zero initial
states, one frame per call) and <prefix>_<variant>.float.f32 (LiteRT logits of the file's "float
twin": every quantized constant dequantized, every int8 activation made float32 and the
QUANTIZE/DEQUANTIZE ops removed — a float execution of the file's own weights, what a float engine
must reproduce). <prefix>.clip.f32 is the clip (T×S×S×3 in [0,1]); <prefix>.keras.f32 the Keras
logits. A variant the converter refuses is reported and skipped (written to <prefix>.report.json).
"""
import json
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

# A reduced table with the real tables' structure (strided first layers with skip projections,
# kt = 3 and 5 temporal kernels, identity residuals), small enough to commit its exports.
MICRO_SPECS = (
    movinet.StemSpec(filters=8, kernel_size=K13, strides=S12),
    movinet.MovinetBlockSpec(base_filters=8, expand_filters=(16,), kernel_sizes=(K15,), strides=(S12,)),
    movinet.MovinetBlockSpec(base_filters=16, expand_filters=(32, 24), kernel_sizes=(K33, K33),
                             strides=(S12, S11)),
    movinet.MovinetBlockSpec(base_filters=16, expand_filters=(32,), kernel_sizes=(K53,), strides=(S12,)),
    movinet.MovinetBlockSpec(base_filters=24, expand_filters=(48, 40), kernel_sizes=(K53, K15),
                             strides=(S12, S11)),
    movinet.HeadSpec(project_filters=32, head_filters=48),
)

VARIANTS = ['float32', 'float16', 'drq', 'int8f', 'int8io', 'int8f_oldq', 'int8io_oldq',
            'float32_call', 'drq_call', 'int8f_call']


def backbone(model_id, size):
    specs = tf_keras.layers.InputSpec(shape=(1, 1, size, size, 3))
    return movinet.Movinet(
        model_id=model_id, causal=True, use_positional_encoding=False, conv_type='2plus1d',
        se_type='2plus3d', input_specs=specs, activation='hard_swish', gating_activation='hard_sigmoid',
        use_sync_bn=False, use_external_states=True), specs


def fine_tuned(model_id, size, classes, seed, steps, lr):
    """A stream classifier with a new N-class head, a few SGD steps on random clips."""
    tf_keras.utils.set_random_seed(seed)
    bb, specs = backbone(model_id, size)
    # The tutorial builds the 600-class model, loads the Kinetics checkpoint, then swaps the head.
    # No checkpoint here: random non-trivial statistics instead, so that BN folding and the ReZero
    # residuals matter (fresh models have BN at identity and every ReZero scale at 0).
    model = movinet_model.MovinetClassifier(bb, num_classes=classes, output_states=True,
                                            input_specs=dict(image=specs), activation='hard_swish')
    model.build([1, 1, 1, 1, 3])
    rng = np.random.default_rng(seed)
    for v in model.variables:
        n, shape = v.name, v.shape
        if n.endswith('gamma:0') or n.endswith('moving_variance:0'):
            v.assign(rng.uniform(0.5, 1.5, shape).astype(np.float32))
        elif n.endswith('beta:0') or n.endswith('moving_mean:0') or n.endswith('bias:0'):
            v.assign(rng.normal(0, 0.1, shape).astype(np.float32))
        elif 'rezero' in n or n.endswith('scale:0'):
            v.assign(rng.uniform(0.3, 1.0, shape).astype(np.float32))
    opt = tf_keras.optimizers.SGD(learning_rate=lr, momentum=0.9)
    loss_fn = tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    frames = 3
    losses = []
    for step in range(steps):
        clip = rng.uniform(0, 1, (1, frames, size, size, 3)).astype(np.float32)
        label = np.array([step % classes])
        states = model.init_states(tf.constant([1, 1, size, size, 3]))
        with tf.GradientTape() as tape:
            # The export's input is one frame: step through the clip, loss on the last frame.
            for t in range(frames):
                logits, states = model({**states, 'image': clip[:, t:t + 1]}, training=True)
            loss = loss_fn(label, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        losses.append(float(loss))
    return model, losses


def keras_logits(model, clip):
    states = model.init_states(tf.constant([1, 1] + list(clip.shape[1:])))
    out = []
    for t in range(clip.shape[0]):
        logits, states = model({**states, 'image': clip[None, t:t + 1]})
        out.append(logits.numpy()[0])
    return np.stack(out).astype(np.float32)


def representative(model, size, seed):
    """Calibration inputs: (states, frame) pairs along random clips, as the states really evolve."""
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(3):
        states = model.init_states(tf.constant([1, 1, size, size, 3]))
        for _ in range(8):
            frame = rng.uniform(0, 1, (1, 1, size, size, 3)).astype(np.float32)
            samples.append({**{k: v.numpy() for k, v in states.items()}, 'image': frame})
            _, states = model({**states, 'image': frame})
    return samples


def save_call_signature(model, size, path):
    """A SavedModel whose only signature is `call` (as some projects export it)."""
    states = model.init_states(tf.constant([1, 1, size, size, 3]))
    spec = {k: tf.TensorSpec(v.shape, v.dtype, name=k) for k, v in states.items()}
    spec['image'] = tf.TensorSpec([1, 1, size, size, 3], tf.float32, name='image')

    @tf.function(input_signature=[spec])
    def call(inputs):
        logits, new_states = model(inputs)
        return {'logits': logits, **new_states}

    tf.saved_model.save(model, path, signatures={'call': call})


def convert(saved, variant, calibration):
    key = 'call' if variant.endswith('_call') else 'serving_default'
    kind = variant[:-5] if variant.endswith('_call') else variant
    conv = tf.lite.TFLiteConverter.from_saved_model(saved, signature_keys=[key])
    if kind == 'float16':
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.target_spec.supported_types = [tf.float16]
    elif kind == 'drq':
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    elif kind.startswith('int8'):
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = lambda: iter(calibration)
        if kind.startswith('int8io'):
            conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            conv.inference_input_type = tf.int8
            conv.inference_output_type = tf.int8
        if kind.endswith('_oldq'):
            conv.experimental_new_quantizer = False
    return conv.convert()


def litert_logits(path, clip):
    """LiteRT per-frame logits, float I/O or int8 I/O (quantized with the file's parameters)."""
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_path=path)
    keys = list(it.get_signature_list().keys())
    runner = it.get_signature_runner(keys[0])
    inputs = runner.get_input_details()
    outputs = runner.get_output_details()

    def quantized(d):
        return d['dtype'] in (np.int8, np.uint8) and d['quantization'][0] != 0

    def quantize(x, d):
        if not quantized(d):
            return x.astype(d['dtype'])
        scale, zero = d['quantization']
        info = np.iinfo(d['dtype'])
        return np.clip(np.round(x / scale) + zero, info.min, info.max).astype(d['dtype'])

    def dequantize(x, d):
        if not quantized(d):
            return x.astype(np.float32)
        scale, zero = d['quantization']
        return (x.astype(np.float32) - zero) * scale

    # Zero initial states are zero in every encoding (quantized zero = the zero point).
    states = {k: quantize(np.zeros(d['shape'], np.float32), d) for k, d in inputs.items() if k != 'image'}
    out = []
    for t in range(clip.shape[0]):
        res = runner(**states, image=quantize(clip[None, t:t + 1], inputs['image']))
        out.append(dequantize(res['logits'], outputs['logits'])[0].astype(np.float32))
        states = {k: res[k] for k in states}
    return np.stack(out)


def float_twin(src, dst):
    """The same graph in float32: quantized constants dequantized (scale·(q − zero)), quantized
    activations made float32, QUANTIZE/DEQUANTIZE ops removed (their output replaced by their input)."""
    from tensorflow.lite.python import schema_py_generated as schema
    import flatbuffers
    with open(src, 'rb') as f:
        m = schema.ModelT.InitFromPackedBuf(f.read(), 0)
    codes = [max(c.builtinCode, c.deprecatedBuiltinCode) for c in m.operatorCodes]
    # Converters share one buffer between equal constants, sometimes with different types or
    # quantization: dequantize from the original bytes, one float buffer per (buffer, parameters).
    original = {i: (bytes(bytearray(b.data)) if b.data is not None else None) for i, b in enumerate(m.buffers)}
    converted = {}
    for sg_index, sg in enumerate(m.subgraphs):
        for t in sg.tensors:
            q = t.quantization
            quantized = q is not None and q.scale is not None and len(q.scale) > 0
            if not quantized or t.type not in (schema.TensorType.INT8, schema.TensorType.INT32,
                                               schema.TensorType.UINT8, schema.TensorType.INT16):
                continue
            raw = original.get(t.buffer)
            if raw:
                dtype = {schema.TensorType.INT8: np.int8, schema.TensorType.INT32: np.int32,
                         schema.TensorType.UINT8: np.uint8, schema.TensorType.INT16: np.int16}[t.type]
                shape = list(t.shape) if t.shape is not None and len(t.shape) else [-1]
                v = np.frombuffer(raw, dtype).reshape(shape).astype(np.float64)
                bshape = [1] * len(shape)
                if len(q.scale) > 1:
                    bshape[q.quantizedDimension] = -1
                scale = np.asarray(q.scale, np.float64).reshape(bshape)
                zp = np.asarray(q.zeroPoint if q.zeroPoint is not None else [0], np.float64)
                zero = zp.reshape(bshape if len(zp) > 1 else [1] * len(shape))
                data = np.frombuffer(((v - zero) * scale).astype(np.float32).tobytes(), np.uint8)
                key = (t.buffer, t.type, tuple(q.scale), tuple(zp), q.quantizedDimension)
                if key not in converted:
                    if any(k[0] == t.buffer for k in converted):
                        nb = schema.BufferT()
                        nb.data = data
                        m.buffers.append(nb)
                        converted[key] = len(m.buffers) - 1
                    else:
                        m.buffers[t.buffer].data = data
                        converted[key] = t.buffer
                t.buffer = converted[key]
            t.type = schema.TensorType.FLOAT32
            t.quantization = None
        # Drop QUANTIZE/DEQUANTIZE whose both sides are now float (float16 weight DEQUANTIZE stays).
        replace = {}
        kept = []
        for op in sg.operators:
            code = codes[op.opcodeIndex]
            if code in (schema.BuiltinOperator.QUANTIZE, schema.BuiltinOperator.DEQUANTIZE):
                i, o = op.inputs[0], op.outputs[0]
                if sg.tensors[i].type == schema.TensorType.FLOAT32 and sg.tensors[o].type == schema.TensorType.FLOAT32:
                    replace[o] = replace.get(i, i)
                    continue
            kept.append(op)
        for op in kept:
            op.inputs = [replace.get(i, i) for i in op.inputs]
        sg.operators = kept
        sg.outputs = [replace.get(i, i) for i in sg.outputs]
        for sig in m.signatureDefs or []:
            if sig.subgraphIndex == sg_index:
                for o in sig.outputs:
                    o.tensorIndex = replace.get(o.tensorIndex, o.tensorIndex)
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b'TFL3')
    with open(dst, 'wb') as f:
        f.write(b.Output())


def export(model_id, size, classes, outdir, prefix, variants, seed=7, steps=4, lr=0.01, frames=6):
    model, losses = fine_tuned(model_id, size, classes, seed, steps, lr)
    rng = np.random.default_rng(101)
    clip = rng.uniform(0, 1, (frames, size, size, 3)).astype(np.float32)
    keras = keras_logits(model, clip)
    clip.tofile(os.path.join(outdir, f'{prefix}.clip.f32'))
    keras.tofile(os.path.join(outdir, f'{prefix}.keras.f32'))
    calibration = representative(model, size, seed + 1)
    report = {'model': model_id, 'size': size, 'classes': classes, 'frames': frames, 'tensorflow': tf.__version__,
              'train_losses': losses, 'variants': {}}
    with tempfile.TemporaryDirectory() as tmp:
        serving = os.path.join(tmp, 'serving')
        export_saved_model.export_saved_model(model=model, input_shape=(1, 1, size, size, 3),
                                              export_path=serving, causal=True, bundle_input_init_states_fn=False)
        call = os.path.join(tmp, 'call')
        save_call_signature(model, size, call)
        for variant in variants:
            name = f'{prefix}_{variant}'
            path = os.path.join(outdir, name + '.tflite')
            try:
                data = convert(call if variant.endswith('_call') else serving, variant, calibration)
            except Exception as e:  # the converter refuses some settings; say which and why
                msg = str(e).strip().splitlines()
                report['variants'][variant] = {'converted': False, 'error': ' '.join(msg[-3:])[:400]}
                print(f'{name}: converter refused: {report["variants"][variant]["error"]}', flush=True)
                continue
            with open(path, 'wb') as f:
                f.write(data)
            litert = litert_logits(path, clip)
            litert.tofile(os.path.join(outdir, name + '.litert.f32'))
            twin = os.path.join(tmp, name + '.float.tflite')
            float_twin(path, twin)
            fl = litert_logits(twin, clip)
            fl.tofile(os.path.join(outdir, name + '.float.f32'))
            peak = np.abs(keras).max()
            row = {'converted': True, 'bytes': len(data),
                   'litert_vs_keras_rel': float(np.abs(litert - keras).max() / peak),
                   'float_twin_vs_keras_rel': float(np.abs(fl - keras).max() / peak),
                   'top1_litert_eq_float_twin': int((litert.argmax(1) == fl.argmax(1)).sum())}
            report['variants'][variant] = row
            print(f'{name}: {len(data)} B; LiteRT vs Keras {row["litert_vs_keras_rel"]:.3g} rel, '
                  f'float twin vs Keras {row["float_twin_vs_keras_rel"]:.3g} rel, '
                  f'top-1 LiteRT = twin on {row["top1_litert_eq_float_twin"]}/{frames} frames', flush=True)
    with open(os.path.join(outdir, f'{prefix}.report.json'), 'w') as f:
        json.dump(report, f, indent=1)


def main():
    what, outdir = sys.argv[1], sys.argv[2]
    variants = sys.argv[3].split(',') if len(sys.argv) > 3 else VARIANTS
    os.makedirs(outdir, exist_ok=True)
    if what == 'twin':
        # Recompute the float-twin references of the variants already in outdir.
        prefix = sys.argv[3]
        clip_path = os.path.join(outdir, f'{prefix}.clip.f32')
        keras = np.fromfile(os.path.join(outdir, f'{prefix}.keras.f32'), np.float32)
        for name in sorted(os.listdir(outdir)):
            if not (name.startswith(prefix + '_') and name.endswith('.tflite')) or name.endswith('_labels.tflite'):
                continue
            path = os.path.join(outdir, name)
            from ai_edge_litert.interpreter import Interpreter
            size = Interpreter(model_path=path).get_signature_runner().get_input_details()['image']['shape'][2]
            clip = np.fromfile(clip_path, np.float32).reshape(-1, size, size, 3)
            with tempfile.TemporaryDirectory() as tmp:
                twin = os.path.join(tmp, 'twin.tflite')
                float_twin(path, twin)
                fl = litert_logits(twin, clip)
            fl.tofile(path[:-len('.tflite')] + '.float.f32')
            k = keras.reshape(fl.shape)
            print(f'{name}: float twin vs Keras {np.abs(fl - k).max() / np.abs(k).max():.3g} rel', flush=True)
        return
    if what == 'micro':
        movinet.BLOCK_SPECS['micro'] = MICRO_SPECS
        export('micro', 32, 5, outdir, 'micro', variants, steps=int(os.environ.get('STEPS', 4)))
    elif what in ('a0', 'a1'):
        export(what, 172, 7, outdir, f'{what}_fine', variants, frames=8)
    else:
        raise SystemExit(f'unknown target {what}')


if __name__ == '__main__':
    main()

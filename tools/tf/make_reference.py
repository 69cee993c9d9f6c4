#!/usr/bin/env python3
# Builds official MoViNet models (tf-models-official) with random weights and writes reference artifacts.
#
# Run by hand with the reference venv, never in CI:
#
#   /work/movinet-ref/bin/python tools/tf/make_reference.py --models a0 --flavours base,stream \
#       --sizes 172 --frames 8 --out /work/tf-fixtures
#   /work/movinet-ref/bin/python tools/tf/make_reference.py --reduced --models a0 --flavours base,stream \
#       --sizes 32,37 --frames 4 --out Tests/MoViNetTests/Fixtures/tf --seed 7
#
# For every (model, flavour) it writes into <out>/<name>/ (name = a0-base, a0-stream, or
# tiny-base / tiny-stream with --reduced):
#   ckpt/ckpt-1.index, ckpt/ckpt-1.data-00000-of-00001, ckpt/checkpoint
#                                   tf.train.Checkpoint(model=model).save(...) as the Model Garden does
#   savedmodel/                     export_saved_model.export_saved_model(...) as the export script does
#   clip-<S>.npy                    float32 (T, S, S, 3) in [0, 1]
#   logits-<S>.npy                  base: float32 (600,) from an XLA-compiled call on the whole clip;
#                                   stream: float32 (T, classes), one frame per call from init_states
#   endpoints-<S>.npz               base only, first size only: a few backbone endpoints (XLA-compiled)
#   variables.json                  every Keras variable: shape, sum, |sum|, first and last value
#   info.json                       constructor arguments, block table, seed, versions
import argparse
import json
import os
import shutil
import sys

import numpy as np


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--models', default='a0', help='comma list of a0,a1,a2')
    p.add_argument('--flavours', default='base,stream', help='comma list of base,stream')
    p.add_argument('--sizes', default='172', help='comma list of square input sizes')
    p.add_argument('--frames', type=int, default=8)
    p.add_argument('--out', required=True)
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--reduced', action='store_true',
                   help='replace the block table by a small one (tiny-* fixtures)')
    p.add_argument('--num-classes', type=int, default=600)
    p.add_argument('--no-savedmodel', action='store_true')
    p.add_argument('--strip-savedmodel', action='store_true',
                   help='for committed fixtures: keep only saved_model.pb\'s object graph (node children and '
                        'SavedVariable records; functions, graph_def and signatures dropped) and variables/')
    p.add_argument('--timing', action='store_true',
                   help='time A0-style base on a 50-frame clip (XLA and not) and exit')
    p.add_argument('--timing-frames', type=int, default=50)
    p.add_argument('--timing-size', type=int, default=172)
    p.add_argument('--timing-repeats', type=int, default=3)
    p.add_argument('--timing-checkpoint', default=None,
                   help='restore this checkpoint into the timed model (same weights as the engine)')
    return p.parse_args()


args = parse_args()
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402
from official.projects.movinet.modeling import movinet, movinet_model  # noqa: E402
from official.projects.movinet.tools import export_saved_model as exporter  # noqa: E402

K13, K15, K33, K53 = movinet.K13, movinet.K15, movinet.K33, movinet.K53
S11, S12 = movinet.S11, movinet.S12

# A reduced table shaped like the real ones: five blocks, the first layer of each block strided
# (except block3, which keeps channels and stride like A0's block3, so it has no skip projection),
# kernels with kt = 1, 3 and 5 so the temporal paths (and their stream buffers) are exercised.
REDUCED_SPECS = (
    movinet.StemSpec(filters=8, kernel_size=K13, strides=S12),
    movinet.MovinetBlockSpec(base_filters=8, expand_filters=(16,), kernel_sizes=(K15,), strides=(S12,)),
    movinet.MovinetBlockSpec(base_filters=16, expand_filters=(32, 32), kernel_sizes=(K53, K33),
                             strides=(S12, S11)),
    movinet.MovinetBlockSpec(base_filters=24, expand_filters=(48, 40), kernel_sizes=(K33, K15),
                             strides=(S12, S11)),
    movinet.MovinetBlockSpec(base_filters=24, expand_filters=(48,), kernel_sizes=(K53,), strides=(S11,)),
    movinet.MovinetBlockSpec(base_filters=32, expand_filters=(64, 48), kernel_sizes=(K53, K15),
                             strides=(S12, S11)),
    movinet.HeadSpec(project_filters=48, head_filters=64),
)


def build(model_id, flavour, num_classes):
    stream = flavour == 'stream'
    backbone = movinet.Movinet(
        model_id=model_id,
        causal=stream,
        conv_type='2plus1d' if stream else '3d',
        se_type='2plus3d' if stream else '3d',
        activation='hard_swish' if stream else 'simple_swish',
        gating_activation='hard_sigmoid' if stream else 'sigmoid',
        use_positional_encoding=False,
        use_sync_bn=False,
        use_external_states=stream,
    )
    model = movinet_model.MovinetClassifier(
        backbone, num_classes=num_classes, activation='simple_swish', output_states=stream)
    model.build([1, 1, 1, 1, 3])
    return model


def randomize(model, rng):
    """Non-trivial BN statistics, biases and ReZero scales (fresh ones would hide bugs)."""
    for w in model.weights:
        name = w.name.split(':')[0]
        leaf = name.split('/')[-1]
        shape = tuple(w.shape)
        if leaf in ('gamma', 'moving_variance'):
            v = rng.uniform(0.5, 1.5, shape)
        elif leaf in ('beta', 'moving_mean', 'bias'):
            v = rng.normal(0.0, 0.1, shape)
        elif leaf == 'scale':
            v = rng.uniform(0.3, 1.0, shape)
        elif leaf in ('kernel', 'depthwise_kernel'):
            v = w.numpy()  # keep the initializer's (He/Glorot) random values
        else:
            continue
        w.assign(np.asarray(v, dtype=np.float32))


def base_logits(model, clip):
    fn = tf.function(lambda x: model(x, training=False), jit_compile=True)
    return fn(clip[None]).numpy()[0]


def base_endpoints(model, clip):
    fn = tf.function(lambda x: model.backbone(x, training=False)[0], jit_compile=True)
    eps = fn(clip[None])
    keep = {}
    for key in ('stem', 'block0_layer0', 'block1_layer0', 'head'):
        if key in eps:
            keep[key] = eps[key].numpy()[0]
    return keep


def stream_logits(model, clip):
    t, h, w, _ = clip.shape
    states = model.init_states(tf.constant([1, t, h, w, 3], dtype=tf.int32))
    fn = tf.function(lambda inputs: model(inputs, training=False))
    out = []
    for i in range(t):
        logits, states = fn({**states, 'image': clip[None, i:i + 1]})
        out.append(logits.numpy()[0])
    return np.stack(out)


def one_call_stream_logits(model, clip):
    t, h, w, _ = clip.shape
    states = model.init_states(tf.constant([1, t, h, w, 3], dtype=tf.int32))
    logits, _ = model({**states, 'image': clip[None]}, training=False)
    return logits.numpy()[0]


def export(model, flavour, path):
    if os.path.exists(path):
        shutil.rmtree(path)
    exporter.export_saved_model(model=model, input_shape=(None, None, None, None, 3), export_path=path,
                                causal=flavour == 'stream', bundle_input_init_states_fn=True)


def strip_savedmodel(path):
    """Shrinks an exported SavedModel to what a weight importer reads (no longer loadable by TF)."""
    from tensorflow.core.protobuf import saved_model_pb2
    pb = os.path.join(path, 'saved_model.pb')
    sm = saved_model_pb2.SavedModel()
    with open(pb, 'rb') as f:
        sm.ParseFromString(f.read())
    stripped = saved_model_pb2.SavedModel(saved_model_schema_version=sm.saved_model_schema_version)
    mg = stripped.meta_graphs.add()
    mg.object_graph_def.CopyFrom(sm.meta_graphs[0].object_graph_def)
    og = mg.object_graph_def
    og.ClearField('concrete_functions')
    for node in og.nodes:
        kind = node.WhichOneof('kind')
        if kind == 'user_object':
            node.user_object.ClearField('metadata')
        elif kind in ('function', 'bare_concrete_function'):
            getattr(node, kind).Clear()
        node.ClearField('saveable_objects')
    with open(pb, 'wb') as f:
        f.write(stripped.SerializeToString())
    for extra in ('keras_metadata.pb', 'fingerprint.pb'):
        if os.path.exists(os.path.join(path, extra)):
            os.remove(os.path.join(path, extra))
    if os.path.isdir(os.path.join(path, 'assets')):
        shutil.rmtree(os.path.join(path, 'assets'))


def timing():
    import time
    model = build('a0', 'base', 600)
    if args.timing_checkpoint:
        tf.train.Checkpoint(model=model).restore(args.timing_checkpoint).expect_partial()
    rng = np.random.default_rng(args.seed)
    clip = rng.uniform(0, 1, (1, args.timing_frames, args.timing_size, args.timing_size, 3)).astype(np.float32)
    for label, jit in (('tf-xla', True), ('tf-eager-graph', False)):
        fn = tf.function(lambda x: model(x, training=False), jit_compile=jit)
        fn(clip)  # compile
        times = []
        for _ in range(args.timing_repeats):
            t0 = time.perf_counter()
            fn(clip).numpy()
            times.append(time.perf_counter() - t0)
        print(json.dumps({'what': label, 'frames': args.timing_frames, 'size': args.timing_size,
                          'threads': tf.config.threading.get_intra_op_parallelism_threads(),
                          'median_s': float(np.median(times)), 'all_s': times}))


def main():
    if args.timing:
        timing()
        return
    if args.reduced:
        for mid in args.models.split(','):
            movinet.BLOCK_SPECS[mid] = REDUCED_SPECS
    sizes = [int(s) for s in args.sizes.split(',')]
    os.makedirs(args.out, exist_ok=True)
    for mid in args.models.split(','):
        for flavour in args.flavours.split(','):
            tf_keras.backend.clear_session()  # fresh Keras name scopes: `classifier_head`, not `classifier_head_1`
            tf.keras.utils.set_random_seed(args.seed)
            rng = np.random.default_rng(args.seed)
            name = f'{"tiny" if args.reduced else mid}-{flavour}'
            d = os.path.join(args.out, name)
            os.makedirs(d, exist_ok=True)
            model = build(mid, flavour, args.num_classes)
            randomize(model, rng)
            ckpt_dir = os.path.join(d, 'ckpt')
            if os.path.exists(ckpt_dir):
                shutil.rmtree(ckpt_dir)
            saved = tf.train.Checkpoint(model=model).save(os.path.join(ckpt_dir, 'ckpt'))
            print('checkpoint', saved, file=sys.stderr)
            info = {'model_id': mid, 'flavour': flavour, 'reduced': args.reduced, 'seed': args.seed,
                    'num_classes': args.num_classes, 'frames': args.frames, 'sizes': sizes,
                    'tensorflow': tf.__version__, 'checkpoint': os.path.relpath(saved, d),
                    'variables': int(sum(int(np.prod(w.shape)) for w in model.weights)),
                    'block_specs': repr(movinet.BLOCK_SPECS[mid])}
            # An independent record of the stored values, for the importer's tests.
            record = {}
            for w in model.weights:
                a = w.numpy().astype(np.float64)
                record[w.name.split(':')[0]] = {'shape': list(a.shape), 'sum': float(a.sum()),
                                                'abs_sum': float(np.abs(a).sum()),
                                                'first': float(a.reshape(-1)[0]), 'last': float(a.reshape(-1)[-1])}
            with open(os.path.join(d, 'variables.json'), 'w') as f:
                json.dump(record, f, indent=0, sort_keys=True)
            for s in sizes:
                clip = rng.uniform(0, 1, (args.frames, s, s, 3)).astype(np.float32)
                np.save(os.path.join(d, f'clip-{s}.npy'), clip)
                if flavour == 'base':
                    np.save(os.path.join(d, f'logits-{s}.npy'), base_logits(model, clip).astype(np.float32))
                    if s == sizes[0]:
                        np.savez(os.path.join(d, f'endpoints-{s}.npz'), **base_endpoints(model, clip))
                else:
                    per_frame = stream_logits(model, clip).astype(np.float32)
                    np.save(os.path.join(d, f'logits-{s}.npy'), per_frame)
                    whole = one_call_stream_logits(model, clip)
                    info[f'stream_one_call_vs_last_frame_maxdiff_{s}'] = float(np.abs(whole - per_frame[-1]).max())
            if not args.no_savedmodel:
                export(model, flavour, os.path.join(d, 'savedmodel'))
                if args.strip_savedmodel:
                    strip_savedmodel(os.path.join(d, 'savedmodel'))
            with open(os.path.join(d, 'info.json'), 'w') as f:
                json.dump(info, f, indent=1)
            print('wrote', d, file=sys.stderr)


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""Makes the TF reference fixtures of NetworkTests: a reduced MoViNet table ("tiny", channel
counts that are not multiples of 8) built with the official Model Garden code, given
non-trivial random weights (BN statistics, biases, ReZero scales), run on a random clip.
Writes tf-tiny-{base,stream}.json: canonical tensors, the clip and the logits
(base: one vector, XLA-compiled call; stream: logits after every frame, one frame per call,
and the stream states after the last frame, batch axis dropped).

usage: ../movinet-ref/bin/python make_tf_fixture.py OUTDIR
"""
import json, os, sys

import numpy as np
import tensorflow as tf
from official.projects.movinet.modeling import movinet, movinet_model

K13, K15, K33, K53 = (1, 3, 3), (1, 5, 5), (3, 3, 3), (5, 3, 3)
S11, S12 = (1, 1, 1), (1, 2, 2)
movinet.BLOCK_SPECS['tiny'] = (
    movinet.StemSpec(filters=5, kernel_size=K13, strides=S12),
    movinet.MovinetBlockSpec(base_filters=6, expand_filters=(12,), kernel_sizes=(K15,), strides=(S12,)),
    movinet.MovinetBlockSpec(base_filters=10, expand_filters=(20, 18), kernel_sizes=(K33, K33), strides=(S12, S11)),
    movinet.MovinetBlockSpec(base_filters=10, expand_filters=(20, 14), kernel_sizes=(K53, K13), strides=(S11, S11)),
    movinet.HeadSpec(project_filters=12, head_filters=16),
)
T, H, W, CLASSES = 4, 23, 21, 7


def canonical(name, value):
    """Keras variable name → (canonical name, canonical array)."""
    parts = name.split(':')[0].split('/')
    leaf = parts[-1]
    bn = leaf in ('gamma', 'beta', 'moving_mean', 'moving_variance')
    v = value
    if parts[0] == 'stem':
        unit = 'stem/conv'
        if leaf == 'kernel' and v.ndim == 4:
            v = v[None]
    elif parts[0] == 'head':
        unit = 'head/project'
    elif parts[0].startswith('classifier_head'):
        unit = 'classifier/head' if parts[1] == 'head' else 'classifier/logits'
    elif parts[0].startswith('block'):
        layer = parts[0]
        if leaf == 'scale':
            return f'{layer}/rezero/scale', v.reshape(())
        role = parts[2]
        if role in ('expansion', 'projection', 'skip'):
            unit = f'{layer}/{role}'
        elif role == 'se':
            unit = f'{layer}/se/' + ('reduce' if parts[3] == 'se_reduce' else 'expand')
        elif role == 'feature':
            if 'temporal' in name:
                unit = f'{layer}/feature_temporal'
                if leaf == 'depthwise_kernel':
                    v = v[:, 0, :, 0]
            else:
                unit = f'{layer}/feature'
                if leaf == 'depthwise_kernel':
                    v = v[None, :, :, :, 0]
                elif leaf == 'kernel' and v.ndim == 5:
                    v = v[:, :, :, 0, :]
        else:
            raise ValueError(name)
    else:
        raise ValueError(name)
    if leaf in ('kernel',) and ('feature' not in unit) and unit != 'stem/conv':
        v = v.reshape(v.shape[-2], v.shape[-1])
    if leaf == 'depthwise_kernel':
        leaf = 'kernel'
    return f'{unit}/' + (f'bn/{leaf}' if bn else leaf), v


def build(stream):
    backbone = movinet.Movinet(
        model_id='tiny', causal=stream, conv_type='2plus1d' if stream else '3d',
        se_type='2plus3d' if stream else '3d', activation='hard_swish' if stream else 'swish',
        gating_activation='hard_sigmoid' if stream else 'sigmoid', use_positional_encoding=False,
        use_external_states=stream)
    model = movinet_model.MovinetClassifier(backbone, num_classes=CLASSES, output_states=stream)
    model.build([1, 1, 1, 1, 3])
    return model


def randomise(model, rng):
    for v in model.weights:
        n = v.name.split(':')[0]
        leaf = n.split('/')[-1]
        shape = v.shape
        if leaf in ('gamma', 'moving_variance'):
            x = rng.uniform(0.5, 1.5, shape)
        elif leaf in ('beta', 'moving_mean', 'bias'):
            x = rng.uniform(-0.2, 0.2, shape)
        elif leaf == 'scale':
            x = rng.uniform(0.3, 1.0, shape)
        else:
            fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
            if 'depthwise' in leaf:
                fan_in = int(np.prod(shape[:-2]))
            x = rng.uniform(-1, 1, shape) * np.sqrt(3.0 / max(fan_in, 1))
        v.assign(x.astype(np.float32))


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(2026)
    clip = rng.uniform(0, 1, (1, T, H, W, 3)).astype(np.float32)
    for kind in ('base', 'stream'):
        stream = kind == 'stream'
        model = build(stream)
        randomise(model, rng)
        if stream:
            states = model.init_states(tf.constant([1, 1, H, W, 3]))
            logits = []
            for t in range(T):
                out, states = model({**states, 'image': clip[:, t:t + 1]})
                logits.append(out.numpy()[0].tolist())
        else:
            fn = tf.function(lambda x: model(x), jit_compile=True)
            logits = [fn(tf.constant(clip)).numpy()[0].tolist()]
        tensors = {}
        for v in model.weights:
            name, value = canonical(v.name, v.numpy())
            assert name not in tensors, name
            tensors[name] = {'shape': list(value.shape), 'data': value.astype(np.float32).ravel().tolist()}
        doc = {'kind': kind, 'frames': T, 'height': H, 'width': W, 'classes': CLASSES,
               'input': clip.ravel().tolist(), 'logits': logits, 'tensors': tensors}
        if stream:
            doc['states'] = {k: np.asarray(v).astype(np.float32).ravel().tolist() for k, v in states.items()}
        with open(os.path.join(outdir, f'tf-tiny-{kind}.json'), 'w') as f:
            json.dump(doc, f)
        print(kind, len(tensors), 'tensors', np.array(logits)[-1][:4])


if __name__ == '__main__':
    main(sys.argv[1])

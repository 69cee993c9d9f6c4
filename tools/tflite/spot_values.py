#!/usr/bin/env python3
# Independent dequantized spot values of the TF Hub int8 A0 stream file (LiteRT's tensor reader),
# written into Tests/MoViNetTests/TFLiteImporterTests.swift (testInt8FileDequantizedValues):
#     ../movinet-ref/bin/python tools/tflite/spot_values.py ../shared/models/movinet_a0_stream_int8.tflite
# Tensor indices were read off the graph (op inputs) with LiteRT's _get_ops_details().
import numpy as np, sys
from ai_edge_litert.interpreter import Interpreter
it = Interpreter(model_path=sys.argv[1])
td = {t['index']: t for t in it.get_tensor_details()}
def deq(i):
    t = td[i]; q = t['quantization_parameters']; v = it.get_tensor(i).astype(np.float64)
    if len(q['scales']) == 0: return v
    d = q['quantized_dimension']; sh = [1]*v.ndim; sh[d] = -1
    return (v - q['zero_points'].reshape(sh if len(q['zero_points'])>1 else [1]*v.ndim)) * q['scales'].reshape(sh if len(q['scales'])>1 else [1]*v.ndim)
for i, idx, lab in [(92,(0,0,0,0),'stem/conv/kernel[0,0,0,0,0]'),(92,(5,1,2,1),'stem/conv/kernel[0,1,2,1,5]'),
                    (93,(3,),'stem/conv/bias[3]'),(109,(0,2,0,17),'block1_layer0/feature_temporal/kernel[2,17]'),
                    (234,(599,0,0,2047),'classifier/logits/kernel[2047,599]'),(235,(599,),'classifier/logits/bias[599]'),
                    (233,(100,),'classifier/head/bias[100]'),(224,(0,4,3,343),'block4_layer3/feature/kernel[0,4,3,343]'),
                    (100,(0,0,0,0,0),'block0_layer0/rezero/scale'),(229,(479,0,0,103),'head/project/kernel[103,479]'),
                    (107,(31,0,0,7),'block1_layer0/skip/kernel[7,31]')]:
    print(f'{lab} = {deq(i)[idx]:.9g}  (tensor {i} {td[i]["name"][:60]})')

#!/usr/bin/env python3
"""Writes TFLite metadata with an associated label file into a copy of a MoViNet stream .tflite,
the way Model Maker and the metadata writers do (the label file packed into a ZIP appended to the
model, named by a TENSOR_AXIS_LABELS entry on the logits output). Needs tflite-support, which
pins its own numpy, so it gets a venv of its own (README → Development):

    ../tflite-support/bin/python tools/tflite/add_labels.py IN.tflite LABELS.txt OUT.tflite [--deflate]

--deflate packs the label file compressed (not what the writers do; the importer must say it
cannot read it rather than guess).
"""
import os
import shutil
import sys
import tempfile
import zipfile

import flatbuffers
from tensorflow_lite_support.metadata import metadata_schema_py_generated as meta
from tensorflow_lite_support.metadata import schema_py_generated as schema
from tensorflow_lite_support.metadata.python import metadata


def main():
    src, labels, dst = sys.argv[1:4]
    deflate = '--deflate' in sys.argv
    with open(src, 'rb') as f:
        model = schema.Model.GetRootAsModel(f.read(), 0)
    sg = model.Subgraphs(0)
    outputs = [sg.Outputs(i) for i in range(sg.OutputsLength())]
    names = [sg.Tensors(t).Name().decode() for t in outputs]
    # The signature's `logits` output, else the first output.
    logits_tensor = None
    if model.SignatureDefsLength():
        sig = model.SignatureDefs(0)
        for i in range(sig.OutputsLength()):
            if sig.Outputs(i).Name().decode() == 'logits':
                logits_tensor = sig.Outputs(i).TensorIndex()
    position = outputs.index(logits_tensor) if logits_tensor in outputs else 0

    def tensor_md(name):
        t = meta.TensorMetadataT()
        t.name = name
        return t

    label_name = os.path.basename(labels)
    out_md = [tensor_md(n) for n in names]
    f = meta.AssociatedFileT()
    f.name = label_name
    f.description = 'class names, one per line, line i = logit i'
    f.type = meta.AssociatedFileType.TENSOR_AXIS_LABELS
    out_md[position].associatedFiles = [f]
    sub = meta.SubGraphMetadataT()
    sub.inputTensorMetadata = [tensor_md(sg.Tensors(sg.Inputs(i)).Name().decode()) for i in range(sg.InputsLength())]
    sub.outputTensorMetadata = out_md
    md = meta.ModelMetadataT()
    md.name = 'fine-tuned MoViNet stream classifier'
    md.description = 'test fixture with an associated label file'
    md.subgraphMetadata = [sub]
    b = flatbuffers.Builder(0)
    b.Finish(md.Pack(b), metadata.MetadataPopulator.METADATA_FILE_IDENTIFIER)

    shutil.copyfile(src, dst)
    populator = metadata.MetadataPopulator.with_model_file(dst)
    populator.load_metadata_buffer(b.Output())
    populator.load_associated_files([labels])
    populator.populate()
    if deflate:
        # Re-pack the appended archive with the label file compressed.
        with open(dst, 'rb') as fh:
            data = fh.read()
        with tempfile.TemporaryDirectory() as tmp:
            with zipfile.ZipFile(dst) as z:
                body = z.read(label_name)
                start = min(i.header_offset for i in z.infolist())
            # zipfile reports header offsets from the start of the file, past the model
            model_part = data[:start]
            path = os.path.join(tmp, 'o.tflite')
            with open(path, 'wb') as fh:
                fh.write(model_part)
            with zipfile.ZipFile(path, 'a', compression=zipfile.ZIP_DEFLATED) as z:
                z.writestr(label_name, body)
            shutil.copyfile(path, dst)
    print(f'{dst}: labels {label_name} on output {position} ({names[position]})')


if __name__ == '__main__':
    main()

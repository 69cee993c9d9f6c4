// `movinet bench`: per-frame latency, frame rate and achieved GFLOP/s of the engine on this machine.

import ArgumentParser
import Foundation
import MoViNetKit
import MoViNet

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the engine's speed on a model file or on a built-in architecture with random weights.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(help: "Model id (see 'movinet models list') or file/folder (.tflite, TF checkpoint, SavedModel).")
    var model: String?

    @OptionGroup var store: StoreOptions

    @Option(help: "Benchmark a built-in architecture with random weights instead: a0|a1|a2 followed by -stream, -base or -stream-int8.")
    var random: String?

    @Option(help: "Frames to time (stream: single-frame steps; base: clips are repeated until this many frames).")
    var frames: Int = 100

    @Option(help: "Frames per clip for base models.")
    var clipFrames: Int = 8

    @Option(help: "Threads used inside a frame.")
    var threads: Int = 1

    @Option(help: "Input size (square); default: the model's own.")
    var size: Int?

    @Option(help: ArgumentHelp("Arithmetic: auto runs int8 TFLite files in int8, other models in float; float runs int8 files' weights in float32.",
                               valueName: "auto|int8|float"))
    var precision: Precision = .auto

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    func validate() throws {
        if (model == nil) == (random == nil) { throw ValidationError("give exactly one of --model and --random") }
        if frames < 1 { throw ValidationError("--frames must be at least 1") }
        if clipFrames < 1 { throw ValidationError("--clip-frames must be at least 1") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let size, size < 8 || size > 4096 { throw ValidationError("--size must be between 8 and 4096") }
    }

    func run() throws {
        let net: MoViNetModel
        do {
            if let random {
                net = try MoViNetModel(try RandomWeights.model(id: random))
            } else {
                net = try ModelLoading.loadModel(model!, store: ModelResolution.store(store)).0
            }
        } catch {
            Diagnostics.shared.fatal("movinet: \(error)")
            throw ExitCode(ExitStatus.modelLoad.rawValue)
        }
        let side = size ?? net.info.inputSize
        let runner: MoViNetRunner
        do {
            runner = try MoViNetRunner(model: net, height: side, width: side, threads: threads, precision: precision)
        } catch let error as ModelError {
            Diagnostics.shared.fatal("movinet: \(model ?? random ?? ""): \(error.message)")
            throw ExitCode(ExitStatus.modelLoad.rawValue)
        }
        // The int8 kernels this CPU runs (MOVINET_KERNELS=avx512vnni|avx2|portable forces a set), and why.
        let kernels = runner.precision == .int8 ? KernelSet.selected.rawValue : "float"
        let cpu = CPUFeatures.current.summary
        let stream = net.info.kind == .stream
        let perCall = stream ? 1 : clipFrames
        var rng = SeededGenerator(seed: 7)
        let input = (0..<(perCall * side * side * 3)).map { _ in Float(rng.next() >> 40) / Float(1 << 24) }
        let calls = stream ? frames : max(1, (frames + clipFrames - 1) / clipFrames)
        var times: [Double] = []
        input.withUnsafeBufferPointer { buf in
            let warmup = stream ? min(20, max(3, frames / 5)) : 1
            for _ in 0..<warmup { _ = runner.classify(clip: buf, frames: perCall) }
            runner.reset()
            for _ in 0..<calls {
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = runner.classify(clip: buf, frames: perCall)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6 / Double(perCall))
            }
        }
        times.sort()
        let median = times[times.count / 2]
        let fastest = times[0]
        let p90 = times[min(times.count - 1, Int(Double(times.count) * 0.9))]
        let macs = runner.precision == .int8 ? net.quantized!.macsPerFrame : net.macsPerFrame(height: side, width: side)
        let fps = 1000 / median
        let gflops = 2 * Double(macs) / (median / 1000) / 1e9
        let name = random.map { "random:\($0)" } ?? model!
        switch format {
        case .text:
            StandardOutput.write("model \(name) (\(net.info.id)-\(net.info.kind.rawValue)), \(side)×\(side), threads \(threads), "
                + (stream ? "\(calls) frames" : "\(calls) clips of \(clipFrames) frames")
                + ", precision \(runner.precision.rawValue), kernels \(kernels) (cpu: \(cpu))\n")
            if !stream { StandardOutput.write(String(format: "per clip: median %.3f ms\n", median * Double(clipFrames))) }
            StandardOutput.write(String(format: "per frame: median %.3f ms, p90 %.3f ms, min %.3f ms, %.1f frames/s, %.1f GFLOP/s (%.1f M MACs/frame)\n",
                         median, p90, fastest, fps, gflops, Double(macs) / 1e6))
        case .json:
            let doc: [String: Any] = [
                "model": name, "id": net.info.id, "kind": net.info.kind.rawValue, "threads": threads,
                "frames": stream ? calls : calls * clipFrames, "clip_frames": stream ? 1 : clipFrames, "size": side,
                "median_ms": median, "p90_ms": p90, "min_ms": fastest, "clip_median_ms": median * Double(perCall),
                "fps": fps, "gflops": gflops, "macs_per_frame": macs, "precision": runner.precision.rawValue,
                "kernels": kernels, "cpu": cpu,
            ]
            let data = try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys, .withoutEscapingSlashes])
            StandardOutput.write(String(decoding: data, as: UTF8.self) + "\n")
        }
    }
}

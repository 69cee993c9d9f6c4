// The high-level API: a loaded model with its labels and options that classifies videos, GIFs and
// `.npy` arrays (whole inputs, or frame by frame as an AsyncSequence).

import Foundation
import MoViNet

/// Where a classifier's label names come from.
public enum LabelSource: Sendable, Equatable {
    /// A label file named by the caller.
    case file(String)
    /// A label list from the model store (e.g. `kinetics-600-labels`), at this path.
    case store(id: String, path: String)
    /// The label list inside the model file itself (a TFLite file's metadata label file).
    case model
    /// No list: classes are named `class <index>`; `reason` says why when a list was expected.
    case numbered(reason: String?)
}

/// A MoViNet model ready to classify videos: the network, its labels, the options, and a pool of
/// runners (activation buffers and stream state) so that inputs can be classified concurrently.
///
/// ```swift
/// let classifier = try VideoClassifier(model: "a0-stream-int8")
/// let result = try classifier.classify("jumpingjack.gif")
/// print(result.top[0].label)            // "jumping jacks"
/// ```
///
/// Every method may be called from any thread or task; each input gets a runner of its own.
public final class VideoClassifier: @unchecked Sendable {
    /// The loaded network.
    public let model: MoViNetModel
    /// The class names, index = logit.
    public let labels: Labels
    /// Where ``labels`` came from.
    public let labelSource: LabelSource
    /// The options every input is processed with.
    public let options: ClassifierOptions
    /// The model id or path the classifier was made from, for messages.
    public let modelName: String
    /// The side of the square frames fed to the model, in pixels.
    public let inputSize: Int
    /// Threads used inside one frame.
    public let threads: Int
    /// The arithmetic the inputs run in (`.int8` or `.float`), resolved from ``ClassifierOptions/precision``.
    public let precision: Precision

    private let lock = NSLock()
    private var idleRunners: [MoViNetRunner] = []
    /// An input started before the classifier existed (``adopt(_:)``).
    private var early: EarlyFrames?

    /// Loads a model by store id (`a0-stream-int8`, `a2-base`, … — see ``Catalog``; downloaded into
    /// the store's cache on first use) or by path (a `.tflite` file, a TF checkpoint prefix or folder,
    /// a SavedModel folder), with its labels.
    ///
    /// - Parameters:
    ///   - model: a store id or a path.
    ///   - labels: a label file (one label per line); nil: the model's own list from the store, or
    ///     the Kinetics-600 list for any 600-class model, or numbered classes when none can be had.
    ///   - options: sampling, size, threads and ranking for every input.
    ///   - store: where official models are cached and downloaded from.
    /// - Throws: ``MoViNetKitError/model(subject:problem:)`` when the model or the named labels cannot
    ///   be had; ``MoViNetKitError/invalidRequest(_:)`` for options out of range.
    public convenience init(model: String = Catalog.defaultModel, labels: String? = nil,
                            options: ClassifierOptions = ClassifierOptions(),
                            store: ModelStore = .standard()) throws(MoViNetKitError) {
        try options.validate()
        let (network, entry) = try ModelLoading.loadModel(model, store: store)
        let (names, source) = try ModelLoading.labels(path: labels, entry: entry, model: network, store: store)
        try self.init(model: network, labels: names, labelSource: source, name: model, options: options)
    }

    /// A classifier for a model already loaded (e.g. `MoViNetModel(path:)` or random weights).
    ///
    /// - Parameters:
    ///   - model: the network.
    ///   - labels: class names; nil: the model file's own list if it has one, else `class <index>`.
    ///   - name: how messages name the model.
    ///   - options: sampling, size, threads and ranking for every input.
    /// - Throws: ``MoViNetKitError/invalidRequest(_:)`` when the options or the label count do not fit.
    public convenience init(model: MoViNetModel, labels: Labels? = nil, name: String = "model",
                            options: ClassifierOptions = ClassifierOptions()) throws(MoViNetKitError) {
        if labels == nil, let own = model.embeddedLabels, own.count == model.info.numClasses {
            try self.init(model: model, labels: Labels(names: own), labelSource: .model, name: name, options: options)
            return
        }
        let source: LabelSource = labels == nil ? .numbered(reason: nil) : .file(name)
        try self.init(model: model, labels: labels ?? .numbered(model.info.numClasses), labelSource: source,
                      name: name, options: options)
    }

    init(model: MoViNetModel, labels: Labels, labelSource: LabelSource, name: String,
         options: ClassifierOptions) throws(MoViNetKitError) {
        try options.validate()
        if labels.count != model.info.numClasses {
            throw .invalidRequest("\(labels.count) labels for a model with \(model.info.numClasses) classes")
        }
        self.model = model
        self.labels = labels
        self.labelSource = labelSource
        self.options = options
        modelName = name
        inputSize = options.size ?? model.info.inputSize
        threads = options.threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount)
        do {
            precision = try model.resolve(options.precision, size: inputSize)
            try model.prepare(precision)
        } catch let error as ModelError {
            throw .model(subject: name, problem: error.message)
        } catch {
            throw .model(error, subject: name)
        }
    }

    /// Stream (frame by frame) or base (whole clips).
    public var kind: ModelKind { model.info.kind }

    // MARK: whole inputs

    /// Classifies one input on the calling thread.
    ///
    /// - Parameters:
    ///   - input: a file path, an `http(s)://` (or other FFmpeg) URL, `-` for standard input, or a
    ///     `.npy` array `(T, H, W, 3)`.
    ///   - onFrame: called after each sampled frame (for progress).
    /// - Throws: ``MoViNetKitError/input(path:problem:)`` when the input cannot be read or has no frames.
    public func classify(_ input: String, onFrame: ((Int) -> Void)? = nil) throws(MoViNetKitError) -> Classification {
        try run(input, frames: nil, perFrame: false, onPrediction: { _ in }, onProgress: onFrame ?? { _ in },
                isCancelled: { false })
    }

    /// Classifies one input on a thread of its own, so the calling task does not block a
    /// cooperative thread. Cancelling the task stops after the frame in progress and throws
    /// ``MoViNetKitError/cancelled``.
    public func classify(_ input: String, onFrame: (@Sendable (Int) -> Void)? = nil) async throws(MoViNetKitError)
        -> Classification {
        let flag = CancellationFlag()
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (c: CheckedContinuation<Classification, Error>) in
                    let thread = Thread {
                        c.resume(with: Result { () throws(MoViNetKitError) -> Classification in
                            try self.run(input, frames: nil, perFrame: false, onPrediction: { _ in },
                                         onProgress: onFrame ?? { _ in }, isCancelled: { flag.isSet })
                        })
                    }
                    thread.stackSize = 8 << 20
                    thread.start()
                }
            } onCancel: {
                flag.set()
            }
        } catch let error as MoViNetKitError {
            throw error
        } catch {
            throw .input(error, path: input)
        }
    }

    /// Classifies frames from a source of the caller's (each ``inputSize`` × ``inputSize`` × 3
    /// floats in [0, 1]) on the calling thread; `name` is how errors name the source.
    public func classify(frames: FrameStream, name: String) throws(MoViNetKitError) -> Classification {
        try run(name, frames: frames, perFrame: false, onPrediction: { _ in }, onProgress: { _ in },
                isCancelled: { false })
    }

    /// Classifies a file or remote URL on the calling thread.
    public func classify(_ url: URL) throws(MoViNetKitError) -> Classification {
        try classify(Self.location(url))
    }

    /// Classifies a file or remote URL on a thread of its own.
    public func classify(_ url: URL) async throws(MoViNetKitError) -> Classification {
        try await classify(Self.location(url), onFrame: nil)
    }

    // MARK: frame by frame

    /// The prediction after every sampled frame of `input`, as an AsyncSequence computed on a
    /// thread of its own (stream models only; a base model's sequence throws
    /// ``MoViNetKitError/invalidRequest(_:)``).
    ///
    /// - Parameters:
    ///   - input: a file path, a URL FFmpeg opens, `-` for standard input, or a `.npy` array.
    ///   - bufferLimit: predictions computed ahead of the consumer at most (back-pressure).
    public func stream(_ input: String, bufferLimit: Int = 2) -> FramePredictions {
        streamPredictions(input, frames: nil, bufferLimit: bufferLimit)
    }

    /// The per-frame predictions of a file or remote URL.
    public func stream(_ url: URL, bufferLimit: Int = 2) -> FramePredictions {
        stream(Self.location(url), bufferLimit: bufferLimit)
    }

    /// The per-frame predictions of frames from a source of the caller's (a camera, frames made in
    /// memory): each frame must be ``inputSize`` × ``inputSize`` × 3 floats in [0, 1]. `name` is
    /// how errors name the source.
    public func stream(frames: FrameStream, name: String, bufferLimit: Int = 2) -> FramePredictions {
        streamPredictions(name, frames: frames, bufferLimit: bufferLimit)
    }

    private func streamPredictions(_ input: String, frames: FrameStream?, bufferLimit: Int) -> FramePredictions {
        let kind = self.kind, modelName = self.modelName
        // The source is handed to the producer thread once and used only there.
        let source = UncheckedSendable(frames)
        return FramePredictions(bufferLimit: bufferLimit) { channel in
            guard kind == .stream else {
                channel.finish(ProductionOutcome(error: .invalidRequest(
                    "\(modelName) is a base model; per-frame predictions need a stream model (e.g. a0-stream-int8)")))
                return
            }
            do throws(MoViNetKitError) {
                let result = try self.run(input, frames: source.value, perFrame: true,
                                          onPrediction: { try channel.send($0) }, onProgress: { _ in },
                                          isCancelled: { channel.isCancelled })
                channel.finish(ProductionOutcome(classification: result))
            } catch {
                channel.finish(ProductionOutcome(error: error))
            }
        }
    }

    // MARK: the work

    private func run(_ input: String, frames given: FrameStream?, perFrame: Bool,
                     onPrediction: (FramePrediction) throws -> Void, onProgress: (Int) -> Void,
                     isCancelled: () -> Bool) throws(MoViNetKitError) -> Classification {
        var frames: FrameStream
        if let given {
            frames = given
        } else {
            frames = try openFrames(input)
        }
        var live: LatestFrames?
        var ahead: ReadAheadFrames?
        if options.realtime && kind == .stream {
            live = LatestFrames(frames)
            frames = live!
        } else if given == nil {
            // The next frames decode on another core while the model runs.
            ahead = ReadAheadFrames(frames)
            frames = ahead!
        }
        defer {
            live?.stop()
            ahead?.stop()
        }
        // After the frames started: the first ones decode while the runner is made.
        let runner = try acquireRunner()
        defer { releaseRunner(runner) }
        if frames.frameSize != inputSize {
            throw .invalidRequest("\(input): frames are \(frames.frameSize) px but the model takes \(inputSize) px")
        }
        let settings = InferenceSettings(topK: options.topK, threshold: options.threshold, window: options.window)
        do {
            return try Inference.run(frames, runner: runner, labels: labels, settings: settings, path: input,
                                     perFrame: perFrame, onFrame: onPrediction, onProgress: onProgress,
                                     isCancelled: isCancelled)
        } catch let error as MoViNetKitError {
            throw error
        } catch {
            throw .input(error, path: input)
        }
    }

    /// Opens `input`'s frames, or takes the ones an adopted ``EarlyFrames`` has been decoding.
    func openFrames(_ input: String) throws(MoViNetKitError) -> FrameStream {
        lock.lock()
        let early = self.early
        lock.unlock()
        do {
            if let early, early.take(input, fps: options.fps, decoding: options.decoding) {
                return try early.frames(size: inputSize, centerCrop: options.centerCrop)
            }
            return try FrameStreams.open(input, size: inputSize, fps: options.fps, centerCrop: options.centerCrop,
                                         decoding: options.decoding)
        } catch {
            throw .input(error, path: input)
        }
    }

    /// Hands the classifier an input started before it existed: its next run of that input
    /// (with the same fps and decoding options) reads these frames instead of opening the file.
    public func adopt(_ early: EarlyFrames) {
        lock.lock()
        self.early = early
        lock.unlock()
    }

    private func acquireRunner() throws(MoViNetKitError) -> MoViNetRunner {
        lock.lock()
        if let runner = idleRunners.popLast() {
            lock.unlock()
            return runner
        }
        lock.unlock()
        return try makeRunner()
    }

    /// A new runner for this classifier's model, input size, threads and precision (the pool's, and
    /// a bounded context's own runners).
    func makeRunner() throws(MoViNetKitError) -> MoViNetRunner {
        do {
            return try MoViNetRunner(model: model, height: inputSize, width: inputSize, threads: threads, precision: precision)
        } catch {
            throw .model(error, subject: modelName)
        }
    }

    private func releaseRunner(_ runner: MoViNetRunner) {
        lock.lock()
        idleRunners.append(runner)
        lock.unlock()
    }

    /// What the decoder opens for a URL: the path of a file URL, else the URL itself.
    static func location(_ url: URL) -> String { url.isFileURL ? url.path : url.absoluteString }
}

/// A flag set from a cancellation handler and polled by a worker thread.
final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}

/// A value moved to one other thread and used only there.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

// `movinet stream`: a stream model frame by frame; per-frame rows with --every-frame, a picture
// of the top classes over time with --plot.

import ArgumentParser
import MoViNetKit

struct StreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Run a streaming model frame by frame over each input.",
        discussion: """
            Without --every-frame, prints one result per input (after its last sampled frame). \
            With --every-frame each record (text, jsonl, csv) is written and flushed as soon as \
            its frame is classified; json is one document, complete only at the end. A stream \
            model's head averages over every frame since the start, so later actions in a long \
            video barely show; --context SECONDS bounds how far back each prediction looks. \
            --every-frame --format srt|vtt writes one subtitle cue per frame with its top label.

            Live inputs: 'pipe:' (or 'pipe:N' for file descriptor N, or /dev/stdin) reads video \
            bytes from standard input (GIF, Matroska/WebM, MPEG-TS, FLV, NUT, MP4 with its index \
            first); rtsp://, rtmp://, udp://, srt://, tcp:// and http(s):// URLs are read by \
            FFmpeg; /dev/videoN cameras through V4L2; any FFmpeg demuxer or device with -f \
            (e.g. -f lavfi testsrc2). Live inputs are probed briefly so that the first record \
            comes within about a second; timestamps are the stream's own, from its first frame. \
            SIGINT or SIGTERM stops reading: the records so far, each input's result and the end \
            of the json document are printed, and the exit status is 130 or 143.

            Exit status: 0 all inputs classified, 1 some inputs failed, 2 usage error, 3 the model \
            could not be loaded, 4 standard output failed, 130/143 stopped by SIGINT/SIGTERM.
            """)

    @OptionGroup var inputs: InputOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var sampling: RunOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup(title: "Live inputs") var live: LiveInputOptions

    @Flag(help: "Print one record per sampled frame (index, timestamp, top labels), each as soon as its frame is classified.")
    var everyFrame = false

    @Flag(help: "Keep up with a live input: when frames arrive faster than the model runs, skip sampled frames (counted as \"skipped\" in the records) instead of making the source wait.")
    var realtime = false

    @Option(help: ArgumentHelp("Draw the top classes' probability over time into this SVG file (one input only).",
                               valueName: "file.svg"))
    var plot: String?

    @Option(help: ArgumentHelp("Each prediction looks back only about this far (stream runners reset every this many seconds; default: everything since the start).",
                               valueName: "seconds"))
    var context: Double?

    @OptionGroup var tuning: ContextTuning

    func validate() throws {
        if let plot, plot.isEmpty { throw ValidationError("--plot needs a file name") }
        if let context { try tuning.check(seconds: context) }
        if realtime && (context != nil || output.format.isSubtitles) {
            throw ValidationError("--realtime cannot be combined with --context or subtitle output")
        }
        if output.format.isSubtitles && (!everyFrame || plot != nil) {
            throw ValidationError("--format \(output.format) needs --every-frame and no --plot (one cue per frame)")
        }
    }

    func run() async throws {
        Diagnostics.shared.quiet = output.quiet
        let contextOptions = context.map { tuning.options(seconds: $0) }
        let refuseBase = { (classifier: VideoClassifier) throws in
            if classifier.kind != .stream {
                Diagnostics.shared.fatal(
                    "movinet: \(model.model): is a base model; 'stream' needs a stream model (e.g. a0-stream-int8)")
                throw ExitCode(ExitStatus.usage.rawValue)
            }
        }
        if output.format.isSubtitles {
            let job = SegmentsJob(inputs: inputs, run: sampling, quiet: output.quiet, verbose: output.verbose,
                                  topK: output.topK, live: live)
            try await job.run(model: model, oneInput: true, check: refuseBase) { classifier, feed, expected in
                await job.subtitleFrames(feed, classifier: classifier, context: contextOptions, format: output.format,
                                         expected: expected)
            }
            return
        }
        var request = BatchRequest(inputs: inputs, run: sampling, output: output, everyFrame: everyFrame, plotPath: plot,
                                   live: live, realtime: realtime)
        request.context = contextOptions
        try await Batch.run(request, model: model, check: refuseBase)
    }
}

// `movinet stream`: a stream model frame by frame; per-frame rows with --every-frame, a picture
// of the top classes over time with --plot.

import ArgumentParser

struct StreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Run a streaming model frame by frame over each input.",
        discussion: """
            Without --every-frame, prints one result per input (after its last sampled frame). \
            With --every-frame each record (text, jsonl, csv) is written and flushed as soon as \
            its frame is classified; json is one document, complete only at the end.

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

    func validate() throws {
        if let plot, plot.isEmpty { throw ValidationError("--plot needs a file name") }
    }

    func run() async throws {
        Diagnostics.shared.quiet = output.quiet
        let request = BatchRequest(inputs: inputs, run: sampling, output: output, everyFrame: everyFrame, plotPath: plot,
                                   live: live, realtime: realtime)
        try await Batch.run(request, model: model) { classifier in
            if classifier.kind != .stream {
                Diagnostics.shared.fatal(
                    "movinet: \(model.model): is a base model; 'stream' needs a stream model (e.g. a0-stream-int8)")
                throw ExitCode(ExitStatus.usage.rawValue)
            }
        }
    }
}

// A real HTTP server on 127.0.0.1 for the store tests: python3 serving a fixture folder, with
// misbehaving routes. /good/<f> serves f; /truncate/<f> announces the full length and closes
// after half; /stall/<f> sends the headers and a few bytes, then waits; anything missing is 404.
// Every request path is appended to a log file, so tests can tell whether the network was used.

import Foundation
import XCTest
import TestSupport

final class TestHTTPServer {
    let root: URL
    let port: Int
    let logFile: URL
    private let process: Process

    static let script = #"""
    import http.server, os, sys, threading, time
    root, portfile, logfile = sys.argv[1], sys.argv[2], sys.argv[3]
    parent = os.getppid()
    def watch():   # exit with the test process, even if it crashes before its teardown
        while os.getppid() == parent: time.sleep(0.5)
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *a): pass
        def do_GET(self):
            with open(logfile, "a") as f: f.write(self.path + "\n")
            parts = self.path.lstrip("/").split("/", 1)
            mode, name = (parts + [""])[:2]
            path = os.path.join(root, os.path.basename(name))
            if mode not in ("good", "truncate", "stall") or not os.path.isfile(path):
                body = b"not found"
                self.send_response(404); self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close"); self.end_headers(); self.wfile.write(body); return
            data = open(path, "rb").read()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            if mode == "good": self.wfile.write(data)
            elif mode == "truncate": self.wfile.write(data[: len(data) // 2]); self.wfile.flush()
            else:
                self.wfile.write(data[:10]); self.wfile.flush(); time.sleep(60)
            self.close_connection = True
    s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    s.daemon_threads = True
    with open(portfile + ".tmp", "w") as f: f.write(str(s.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    s.serve_forever()
    """#

    /// Starts the server on a free port serving `root`; stops it when the test ends.
    init(root: URL, test: XCTestCase) throws {
        self.root = root
        let work = try temporaryDirectory(test)
        let scriptURL = work.appendingPathComponent("server.py")
        try TestHTTPServer.script.write(to: scriptURL, atomically: true, encoding: .utf8)
        let portFile = work.appendingPathComponent("port")
        logFile = work.appendingPathComponent("requests.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scriptURL.path, root.path, portFile.path, logFile.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        var port: Int?
        while Date() < deadline {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let p = Int(text) { port = p; break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        guard let port else {
            process.terminate()
            throw XCTSkip("could not start python3 http server")
        }
        self.port = port
        let process = self.process
        test.addTeardownBlock { process.terminate(); process.waitUntilExit() }
    }

    func base(_ mode: String) -> URL { URL(string: "http://127.0.0.1:\(port)/\(mode)")! }

    var requests: [String] {
        ((try? String(contentsOf: logFile, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}

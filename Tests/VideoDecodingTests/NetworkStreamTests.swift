// Downloads through FFmpeg's avio: HTTP statuses read from FFmpeg's own error codes, and an https
// server whose certificate the system does not trust is refused (FFmpeg's default would accept it).

import Foundation
import XCTest

import CFFmpeg
import TestSupport
@testable import VideoDecoding

final class NetworkStreamTests: XCTestCase {
    func testHTTPStatusesAreReadFromFFmpegsCodes() throws {
        try FFmpegLibrary.require(path: "-")
        XCTAssertEqual(NetworkStream.httpStatus(movinet_averror_http_bad_request()), "400")
        XCTAssertEqual(NetworkStream.httpStatus(movinet_averror_http_unauthorized()), "401")
        XCTAssertEqual(NetworkStream.httpStatus(movinet_averror_http_forbidden()), "403")
        XCTAssertEqual(NetworkStream.httpStatus(movinet_averror_http_not_found()), "404")
        XCTAssertEqual(NetworkStream.httpStatus(movinet_averror_http_other_4xx()), "4xx")
        XCTAssertEqual(NetworkStream.httpStatus(movinet_averror_http_server_error()), "5xx")
        for other in [movinet_averror_decoder_not_found(), movinet_averror_stream_not_found(), movinet_averror_eof(),
                      movinet_averror(EIO), Int32.min, 0] {
            XCTAssertNil(NetworkStream.httpStatus(other), "\(other)")
        }
        XCTAssertEqual(NetworkStreamError.httpStatus("404").description, "HTTP status 404")
        XCTAssertEqual(NetworkStreamError.httpStatus("5xx").description,
                       "HTTP status 5xx (FFmpeg reports only the class of this status)")
    }

    func testOnlyHTTPAndHTTPSAreOpened() {
        for url in ["file:///etc/passwd", "concat:/etc/passwd", "/etc/passwd"] {
            XCTAssertThrowsError(try NetworkStream(url: url, idleTimeout: 5)) {
                guard case .unsupportedScheme = $0 as? NetworkStreamError else { return XCTFail("\($0)") }
            }
        }
    }

    func testUntrustedCertificateIsRefused() throws {
        let work = try temporaryDirectory(self)
        let key = work.appendingPathComponent("key.pem").path, cert = work.appendingPathComponent("cert.pem").path
        let openssl = try run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                               "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        guard openssl == 0 else { throw XCTSkip("openssl cannot make a certificate") }
        try Data("hello\n".utf8).write(to: work.appendingPathComponent("hello.txt"))
        let portFile = work.appendingPathComponent("port")
        let script = """
            import http.server, os, ssl, sys, threading, time
            os.chdir(sys.argv[1]); parent = os.getppid()
            def watch():
                while os.getppid() == parent: time.sleep(0.5)
                os._exit(0)
            threading.Thread(target=watch, daemon=True).start()
            s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[2], sys.argv[3])
            s.socket = ctx.wrap_socket(s.socket, server_side=True)
            open(sys.argv[4] + ".tmp", "w").write(str(s.server_address[1])); os.rename(sys.argv[4] + ".tmp", sys.argv[4])
            s.serve_forever()
            """
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-c", script, work.path, cert, key, portFile.path]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        addTeardownBlock { server.terminate(); server.waitUntilExit() }
        var port: String?
        for _ in 0..<400 where port == nil {
            port = try? String(contentsOf: portFile, encoding: .utf8)
            if port == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        guard let port else { throw XCTSkip("could not start a python3 https server") }
        XCTAssertThrowsError(try NetworkStream(url: "https://127.0.0.1:\(port)/hello.txt", idleTimeout: 10)) {
            guard case .failed(let text) = $0 as? NetworkStreamError else { return XCTFail("\($0)") }
            XCTAssertTrue(text.contains("certificate"), text)
        }
    }

    private func run(_ arguments: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }
}

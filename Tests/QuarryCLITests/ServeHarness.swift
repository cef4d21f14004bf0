import Foundation
import XCTest

/// A running `quarry serve` on a free loopback port, and a raw HTTP/1.1
/// client (sockets, not URLSession) so tests can send bytes no library would.
final class ServeSession {
    let process: Process
    let port: UInt16
    private let stderrLines: LineQueue

    init(_ arguments: [String]) throws {
        let (process, _, _, stderr) = try QuarryProcess.startWithInput(["serve", "--port", "0"] + arguments)
        self.process = process
        stderrLines = LineQueue(reading: stderr)
        var found: UInt16?
        while found == nil, let line = stderrLines.pop(timeout: 30) {
            let text = String(decoding: line, as: UTF8.self)
            if text.contains("listening on"), let range = text.range(of: #":[0-9]+/"#, options: .regularExpression) {
                found = UInt16(text[range].dropFirst().dropLast())
            }
        }
        guard let found else {
            process.terminate()
            throw NSError(domain: "serve", code: 1, userInfo: [NSLocalizedDescriptionKey: "quarry serve did not start"])
        }
        port = found
    }

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: Data
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Sends `target` (already percent-encoded as it should go on the wire) and reads the whole response.
    func get(_ target: String, method: String = "GET", headers: [String: String] = [:], body: Data = Data()) throws -> Response {
        var request = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        if !body.isEmpty { request += "Content-Length: \(body.count)\r\n" }
        return try exchange(Data((request + "\r\n").utf8) + body)
    }

    /// A connected TCP socket to the server (receives time out after 60 s).
    func connect() throws -> Int32 {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Foundation.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(socket)
            throw NSError(domain: "serve", code: 2, userInfo: [NSLocalizedDescriptionKey: "cannot connect"])
        }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return socket
    }

    /// Sends raw bytes on a fresh connection and parses the reply.
    func exchange(_ bytes: Data) throws -> Response {
        let socket = try connect()
        defer { close(socket) }
        _ = bytes.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var reply = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            reply.append(contentsOf: buffer[0..<count])
        }
        guard let split = reply.range(of: Data("\r\n\r\n".utf8)) else {
            throw NSError(domain: "serve", code: 3, userInfo: [NSLocalizedDescriptionKey: "no HTTP response"])
        }
        let head = String(decoding: reply[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(head.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Response(status: status, headers: headers, body: Data(reply[split.upperBound...]))
    }

    /// Stops the server with SIGTERM; returns its exit status.
    func stop() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { _ = stop() }
    }
}

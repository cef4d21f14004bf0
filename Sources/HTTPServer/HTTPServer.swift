import CMHD
import Engine
import Foundation

/// The HTTP front end on libmicrohttpd (through the CMHD shim): its worker
/// threads call `handle`, which turns the C request into an `HTTPRequest`,
/// routes it and hands the bytes back for libmicrohttpd to send and free.
package final class HTTPServer: @unchecked Sendable {
    // @unchecked: `router` is immutable and Sendable; `server` is written once
    // in `init` and only read by `port` and `stop`.
    private let router: Router
    private var server: OpaquePointer?

    package struct Options: Sendable {
        package var host = "127.0.0.1"
        package var port: UInt16 = 8080
        package var threads: UInt32 = 4
        package var connectionLimit: UInt32 = 256
        /// Seconds an idle or slow connection may hold a slot.
        package var timeoutSeconds: UInt32 = 30

        package init() {}
    }

    package init(router: Router, options: Options) throws {
        self.router = router
        var message = [CChar](repeating: 0, count: 256)
        let context = Unmanaged.passUnretained(self).toOpaque()
        server = cmhd_start(options.host, options.port, options.threads, options.connectionLimit,
                            options.timeoutSeconds, handleRequest, context, &message, message.count)
        guard server != nil else {
            throw EngineError(.failed, String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) },
                                              as: UTF8.self))
        }
    }

    package var port: UInt16 { server.map { cmhd_port($0) } ?? 0 }

    package func stop() {
        cmhd_stop(server)
        server = nil
    }

    fileprivate func handle(_ request: UnsafePointer<cmhd_request>, _ reply: UnsafeMutablePointer<cmhd_response>) {
        let response: HTTPResponse
        switch Self.decode(request.pointee) {
        case .success(let decoded): response = router.respond(to: decoded)
        case .failure(let error): response = .error(400, error.description)
        }
        let isHead = String(cString: request.pointee.method) == "HEAD"
        let body = isHead ? [] : response.body
        reply.pointee.status = UInt32(response.status)
        reply.pointee.content_type = Self.staticString(response.contentType)
        if let buffer = malloc(max(1, body.count))?.assumingMemoryBound(to: CChar.self) {
            body.withUnsafeBytes { raw in
                if let base = raw.baseAddress { memcpy(buffer, base, raw.count) }
            }
            reply.pointee.body = buffer
            reply.pointee.body_length = body.count
        }
        if let header = response.header {
            reply.pointee.header_name = Self.staticString(header.name)
            reply.pointee.header_value = Self.staticString(header.value)
        }
    }

    /// The request's strings, or a one-line reason it is refused (400).
    private static func decode(_ raw: cmhd_request) -> Result<HTTPRequest, EngineError> {
        guard raw.argument_count <= Int(CMHD_MAX_ARGUMENTS) else {
            return .failure(EngineError(.invalidRequest, "too many parameters (at most \(CMHD_MAX_ARGUMENTS))"))
        }
        var request = HTTPRequest(method: String(cString: raw.method), path: String(cString: raw.path),
                                  authorization: raw.authorization.map { String(cString: $0) })
        request.bodyLength = raw.body_length
        let arguments = withUnsafeBytes(of: raw.arguments) { Array($0.bindMemory(to: cmhd_argument.self)) }
        for argument in arguments.prefix(raw.argument_count) {
            let key = UnsafeRawBufferPointer(start: argument.key, count: argument.key_length)
            let value = UnsafeRawBufferPointer(start: argument.value, count: argument.value_length)
            guard let name = String(validating: key, as: UTF8.self),
                  let text = String(validating: value, as: UTF8.self) else {
                return .failure(EngineError(.invalidRequest, "a parameter is not valid UTF-8"))
            }
            guard !text.utf8.contains(0), !name.utf8.contains(0) else {
                return .failure(EngineError(.invalidRequest, "parameter '\(name)' contains a NUL byte"))
            }
            request.parameters[name, default: []].append(text)
        }
        return .success(request)
    }

    /// Header strings as C strings that live as long as the process (there are
    /// a handful: content types, Allow, WWW-Authenticate), so they stay valid
    /// until libmicrohttpd has copied them.
    private static let internLock = NSLock()
    nonisolated(unsafe) private static var interned: [String: UnsafePointer<CChar>] = [:]

    private static func staticString(_ text: String) -> UnsafePointer<CChar> {
        internLock.lock()
        defer { internLock.unlock() }
        if let pointer = interned[text] { return pointer }
        let pointer = UnsafePointer(strdup(text)!)
        interned[text] = pointer
        return pointer
    }
}

/// The C callback: a plain function, not a closure capturing anything.
private func handleRequest(_ context: UnsafeMutableRawPointer?, _ request: UnsafePointer<cmhd_request>?,
                           _ reply: UnsafeMutablePointer<cmhd_response>?) {
    guard let context, let request, let reply else { return }
    Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue().handle(request, reply)
}

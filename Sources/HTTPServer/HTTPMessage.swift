import Engine
import Foundation

/// One GET request as the router sees it: decoded, checked UTF-8 parameters.
package struct HTTPRequest: Sendable {
    package var method: String
    package var path: String
    /// Each parameter's values in the order given.
    package var parameters: [String: [String]]
    package var authorization: String?
    package var bodyLength = 0

    package init(method: String, path: String, parameters: [String: [String]] = [:], authorization: String? = nil) {
        self.method = method
        self.path = path
        self.parameters = parameters
        self.authorization = authorization
    }

    /// The last value of `name`, or nil.
    package func value(_ name: String) -> String? {
        parameters[name]?.last.flatMap { $0.isEmpty ? nil : $0 }
    }
}

package struct HTTPResponse: Sendable {
    package var status: Int
    package var contentType: String
    package var body: [UInt8]
    package var header: (name: String, value: String)?

    package init(status: Int, contentType: String, body: [UInt8], header: (name: String, value: String)? = nil) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.header = header
    }

    package static func json(_ value: JSON, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json; charset=utf-8",
                     body: Array((value.serialized + "\n").utf8))
    }

    package static func error(_ status: Int, _ message: String) -> HTTPResponse {
        json(.object([("error", .string(message)), ("status", .int(status))]), status: status)
    }

    package static func html(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/html; charset=utf-8", body: Array(text.utf8))
    }

    /// The HTTP status that fits a failure: 400 for a bad request, 404 for an
    /// unknown revision, path or index, 503 while the index is busy, else 500.
    package static func status(for error: Error) -> Int {
        switch EngineError.Kind(classifying: error) {
        case .invalidRequest: return 400
        case .notFound: return 404
        case .busy: return 503
        case .failed: return 500
        }
    }
}

import Engine

/// A JSON-RPC error answer: the standard codes plus MCP's 2026-07-28 ones.
struct RPCError: Error, Equatable {
    static let parseError = -32700
    static let invalidRequest = -32600
    static let methodNotFound = -32601
    static let invalidParams = -32602
    static let internalError = -32603
    static let missingClientCapability = -32021
    static let unsupportedVersion = -32022

    var code: Int
    var message: String
    var data: JSON?

    init(_ code: Int, _ message: String, data: JSON? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    var json: JSON {
        var pairs: [(String, JSON)] = [("code", .int(code)), ("message", .string(message))]
        if let data { pairs.append(("data", data)) }
        return .object(pairs)
    }
}

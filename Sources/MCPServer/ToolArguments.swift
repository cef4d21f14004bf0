import Engine

/// A `tools/call`'s arguments, checked against what the tool declares. Any
/// mismatch is a JSON-RPC invalid-params error naming the argument.
struct ToolArguments {
    let tool: String
    private let members: [String: JSONValue]

    init(tool: String, arguments: JSONValue?, allowed: [String]) throws(RPCError) {
        self.tool = tool
        switch arguments {
        case nil, .null?:
            members = [:]
        case .object(let members)?:
            if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
                let known = allowed.isEmpty ? "it takes none" : "it takes " + allowed.joined(separator: ", ")
                throw RPCError(RPCError.invalidParams, "\(tool): unknown argument '\(unknown)'; \(known)")
            }
            self.members = members
        case let other?:
            throw RPCError(RPCError.invalidParams, "\(tool): arguments must be an object, not \(other.typeName)")
        }
    }

    func string(_ name: String) throws(RPCError) -> String? {
        switch members[name] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        case let other?:
            throw RPCError(RPCError.invalidParams, "\(tool): '\(name)' must be a string, not \(other.typeName)")
        }
    }

    func requiredString(_ name: String) throws(RPCError) -> String {
        guard let value = try string(name) else {
            throw RPCError(RPCError.invalidParams, "\(tool): the argument '\(name)' is required")
        }
        return value
    }

    func integer(_ name: String, in range: ClosedRange<Int>) throws(RPCError) -> Int? {
        switch members[name] {
        case nil, .null?: return nil
        case .integer(let value)? where range.contains(value): return value
        case .number(let value)? where value.rounded() == value && range.contains(Int(exactly: value) ?? .min):
            return Int(value)
        case .integer?, .number?:
            throw RPCError(RPCError.invalidParams,
                           "\(tool): '\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound)")
        case let other?:
            throw RPCError(RPCError.invalidParams, "\(tool): '\(name)' must be an integer, not \(other.typeName)")
        }
    }

    /// One of `choices`, or nil when absent.
    func choice(_ name: String, of choices: [String]) throws(RPCError) -> String? {
        guard let value = try string(name) else { return nil }
        guard choices.contains(value) else {
            throw RPCError(RPCError.invalidParams,
                           "\(tool): '\(name)' must be one of \(choices.joined(separator: ", ")), not '\(value)'")
        }
        return value
    }
}

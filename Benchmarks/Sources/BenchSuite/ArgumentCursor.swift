import Foundation
import Hone

/// A bench tool's command line, read one argument at a time, with the
/// options every tool that times contenders shares.
public struct ArgumentCursor {
    private let arguments: [String]
    private var index = 1

    public init(_ arguments: [String]) { self.arguments = arguments }

    /// The argument being read (nil past the last).
    public var current: String? { index < arguments.count ? arguments[index] : nil }

    public mutating func advance() { index += 1 }

    /// The value after the current option.
    public mutating func value() throws -> String {
        guard index + 1 < arguments.count else { throw HoneError("\(arguments[index]) needs a value") }
        index += 1
        return arguments[index]
    }

    public mutating func positiveInteger() throws -> Int {
        let name = arguments[index], text = try value()
        guard let n = Int(text), n > 0 else { throw HoneError("\(name) takes a positive integer, not '\(text)'") }
        return n
    }

    /// `--contenders isolated|shared`: whether each contender is timed in a process of its own.
    public mutating func isolation() throws -> Bool {
        let mode = try value()
        guard mode == "isolated" || mode == "shared" else { throw HoneError("--contenders is isolated or shared, not '\(mode)'") }
        return mode == "isolated"
    }

    /// `--time-one WHAT --contender NAME`, as an isolated run starts its children.
    public mutating func timeOne(_ what: String) throws -> (String, String) {
        let item = try value()
        guard index + 1 < arguments.count, arguments[index + 1] == "--contender" else {
            throw HoneError("--time-one \(what) needs --contender NAME")
        }
        index += 1
        return (item, try value())
    }
}

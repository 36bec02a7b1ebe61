import Foundation

/// A strict, pull-style JSON reader for record lines: the caller knows the
/// layout and asks for each value in turn (`members`, `elements`,
/// `readString`, ...), so nothing is built that the record does not keep,
/// and a value can be kept as its exact text (`rawValue`: the schedule,
/// decoded only when needed). JSONDecoder through `Codable` takes 22 times
/// as long to read 50,000 records (bench-measure, section 4: 12.1 s against
/// 0.54 s).
///
/// It reads `base[start..<end]`; the byte at `end` must exist and not be part
/// of a number: callers pass a buffer with a terminator, so `strtod` stops in time.
struct JSONScanner {
    let base: UnsafePointer<UInt8>
    let start: Int
    let end: Int
    var i: Int

    init(base: UnsafePointer<UInt8>, start: Int, end: Int) {
        self.base = base
        self.start = start
        self.end = end
        i = start
    }

    func error(_ reason: String) -> JSONSyntaxError { JSONSyntaxError(offset: i - start, reason: reason) }

    mutating func skipSpace() {
        while i < end {
            let c = base[i]
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1 } else { break }
        }
    }

    /// Throws unless only whitespace is left.
    mutating func expectEnd() throws {
        skipSpace()
        if i != end { throw error("unexpected text after the value") }
    }

    /// Iterates over the members of an object: `body` gets each key's raw
    /// bytes (escapes are not expected in keys) and must consume the value.
    mutating func members(_ body: (inout JSONScanner, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        try expect(UInt8(ascii: "{"))
        if consume(UInt8(ascii: "}")) { return }
        repeat {
            skipSpace()
            guard i < end, base[i] == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let from = i + 1
            _ = try skipString()
            let key = UnsafeBufferPointer(start: base + from, count: i - 1 - from)
            try expect(UInt8(ascii: ":"))
            try body(&self, key)
        } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"))
    }

    /// Iterates over the elements of an array; `body` must consume each.
    mutating func elements(_ body: (inout JSONScanner) throws -> Void) throws {
        try expect(UInt8(ascii: "["))
        if consume(UInt8(ascii: "]")) { return }
        repeat { try body(&self) } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "]"))
    }

    mutating func readString() throws -> String {
        skipSpace()
        guard i < end, base[i] == UInt8(ascii: "\"") else { throw error("expected a string") }
        return try string()
    }

    /// The raw bytes of the next string (between the quotes) when it has no
    /// escapes, else nil (then the scanner has not moved).
    mutating func plainStringBytes() throws -> UnsafeBufferPointer<UInt8>? {
        skipSpace()
        guard i < end, base[i] == UInt8(ascii: "\"") else { throw error("expected a string") }
        let from = i
        if try skipString() { i = from; return nil }
        return UnsafeBufferPointer(start: base + from + 1, count: i - from - 2)
    }

    mutating func readInt() throws -> Int {
        skipSpace()
        switch try number() {
        case .unsigned(let v) where v <= UInt64(Int.max): return Int(v)
        case .signed(let v): return Int(v)
        default: throw error("expected an integer")
        }
    }

    mutating func readUInt64() throws -> UInt64 {
        skipSpace()
        guard case .unsigned(let v) = try number() else { throw error("expected a non-negative integer") }
        return v
    }

    /// A number, or null (written for NaN and infinities).
    mutating func readDouble() throws -> Double {
        skipSpace()
        if i < end && base[i] == UInt8(ascii: "n") { try literal("null"); return .nan }
        switch try number() {
        case .unsigned(let v): return Double(v)
        case .signed(let v): return Double(v)
        case .double(let v): return v
        }
    }

    /// The exact text of the next value.
    mutating func rawValue() throws -> Range<Int> {
        skipSpace()
        let from = i
        try skipValue()
        return from ..< i
    }

    /// Checks a value's syntax without building it.
    mutating func skipValue() throws {
        skipSpace()
        guard i < end else { throw error("unexpected end of line") }
        var closers: [UInt8] = []
        repeat {
            skipSpace()
            guard i < end else { throw error("unterminated value") }
            let c = base[i]
            switch c {
            case UInt8(ascii: "{"): closers.append(UInt8(ascii: "}")); i += 1
            case UInt8(ascii: "["): closers.append(UInt8(ascii: "]")); i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard closers.last == c else { throw error("mismatched '\(Character(UnicodeScalar(c)))'") }
                closers.removeLast()
                i += 1
            case UInt8(ascii: ","), UInt8(ascii: ":"):
                guard !closers.isEmpty else { throw error("unexpected '\(Character(UnicodeScalar(c)))'") }
                i += 1
            case UInt8(ascii: "\""): _ = try skipString()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: _ = try number()
            }
        } while !closers.isEmpty
    }

    // MARK: Tokens

    private mutating func expect(_ c: UInt8) throws {
        skipSpace()
        guard i < end, base[i] == c else { throw error("expected '\(Character(UnicodeScalar(c)))'") }
        i += 1
    }

    /// Consumes `c` if it comes next (after whitespace).
    private mutating func consume(_ c: UInt8) -> Bool {
        skipSpace()
        if i < end && base[i] == c { i += 1; return true }
        return false
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard i + n <= end, memcmp(base + i, word.utf8Start, n) == 0 else { throw error("invalid literal") }
        i += n
    }

    /// Moves past a string; returns whether it had escapes.
    private mutating func skipString() throws -> Bool {
        i += 1
        var escaped = false
        while i < end {
            let c = base[i]
            if c == UInt8(ascii: "\"") { i += 1; return escaped }
            if c == UInt8(ascii: "\\") { escaped = true; i += 2; continue }
            if c < 0x20 { throw error("control character in a string") }
            i += 1
        }
        throw error("unterminated string")
    }

    private mutating func string() throws -> String {
        let from = i + 1
        let escaped = try skipString()
        let to = i - 1
        if !escaped { return String(decoding: UnsafeBufferPointer(start: base + from, count: to - from), as: UTF8.self) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(to - from)
        var j = from
        func hex4(_ at: Int) throws -> UInt32 {
            guard at + 4 <= to else { throw error("bad \\u escape") }
            var v: UInt32 = 0
            for k in 0..<4 {
                let c = base[at + k]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw error("bad \\u escape")
                }
                v = v << 4 | d
            }
            return v
        }
        while j < to {
            let c = base[j]
            guard c == UInt8(ascii: "\\") else { bytes.append(c); j += 1; continue }
            let e = base[j + 1]
            j += 2
            switch e {
            case UInt8(ascii: "\""): bytes.append(0x22)
            case UInt8(ascii: "\\"): bytes.append(0x5C)
            case UInt8(ascii: "/"): bytes.append(0x2F)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(j)
                j += 4
                if (0xD800..<0xDC00).contains(scalar), j + 6 <= to, base[j] == UInt8(ascii: "\\"), base[j + 1] == UInt8(ascii: "u") {
                    let low = try hex4(j + 2)
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        j += 6
                    }
                }
                bytes.append(contentsOf: Array(String(UnicodeScalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8))
            default: throw error("bad escape")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private enum Number {
        case unsigned(UInt64), signed(Int64), double(Double)
    }

    private mutating func number() throws -> Number {
        let from = i
        var negative = false
        if i < end && base[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        var value: UInt64 = 0
        var overflow = false
        let digitsStart = i
        while i < end, base[i] >= UInt8(ascii: "0"), base[i] <= UInt8(ascii: "9") {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(base[i] - UInt8(ascii: "0")))
            overflow = overflow || o1 || o2
            value = a
            i += 1
        }
        guard i > digitsStart else { throw error("expected a value") }
        let isInteger = i >= end || (base[i] != UInt8(ascii: ".") && base[i] != UInt8(ascii: "e") && base[i] != UInt8(ascii: "E"))
        if isInteger && !overflow {
            if !negative { return .unsigned(value) }
            if value <= UInt64(Int64.max) + 1 { return .signed(value == UInt64(Int64.max) + 1 ? Int64.min : -Int64(value)) }
        }
        // A fraction or exponent: let strtod read it (the buffer is terminated).
        var stop: UnsafeMutablePointer<CChar>?
        let parsed = (base + from).withMemoryRebound(to: CChar.self, capacity: 1) { strtod($0, &stop) }
        guard let stop else { throw error("bad number") }
        let consumed = UnsafeRawPointer(stop) - UnsafeRawPointer(base + from)
        guard consumed > 0, from + consumed <= end else { throw error("bad number") }
        i = from + consumed
        return .double(parsed)
    }
}

struct JSONSyntaxError: Error, CustomStringConvertible {
    var offset: Int
    var reason: String
    var description: String { "\(reason) at column \(offset + 1)" }
}

/// The keys of an enum, found by the bytes of a member name (no String is
/// made: a reader looks up every member of every line).
struct KeyTable<Key: CodingKey & CaseIterable> {
    private let entries: [(name: [UInt8], key: Key)] = Key.allCases.map { (Array($0.stringValue.utf8), $0) }

    func callAsFunction(_ name: UnsafeBufferPointer<UInt8>) -> Key? {
        for entry in entries where entry.name.count == name.count {
            if entry.name.withUnsafeBufferPointer({ memcmp($0.baseAddress!, name.baseAddress!, name.count) == 0 }) { return entry.key }
        }
        return nil
    }
}

/// Reuses the String made for the same bytes last time (record fields such
/// as the kernel name, hash and CPU repeat from line to line).
struct StringInterner {
    private var last: [([UInt8], String)] = Array(repeating: ([], ""), count: 8)

    /// `slot` (0 ..< 8) names the field.
    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>, slot: Int) -> String {
        if bytes.isEmpty { return "" }
        let (b, s) = last[slot]
        if b.count == bytes.count, b.withUnsafeBufferPointer({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) {
            return s
        }
        let made = String(decoding: bytes, as: UTF8.self)
        last[slot] = (Array(bytes), made)
        return made
    }
}

/// Compact JSON text, written in the order it is given (JSONEncoder sorts or
/// scrambles an object's members; a record keeps its keys, and its kernel's
/// parameters, in a fixed order). Separators are added as needed.
struct JSONWriter {
    private(set) var text = ""
    /// Whether the next member or element needs a comma before it.
    private var afterValue = false

    mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        text += "{"
        afterValue = false
        body(&self)
        text += "}"
        afterValue = true
    }

    mutating func array<S: Sequence>(_ elements: S, _ body: (inout JSONWriter, S.Element) -> Void) {
        separate()
        text += "["
        afterValue = false
        for element in elements { body(&self, element) }
        text += "]"
        afterValue = true
    }

    /// A member's name; its value comes next.
    mutating func key(_ key: some CodingKey) { self.key(key.stringValue) }

    mutating func key(_ name: String) {
        string(name)
        text += ":"
        afterValue = false
    }

    /// A value given as JSON text.
    mutating func raw(_ json: String) {
        separate()
        text += json
        afterValue = true
    }

    mutating func string(_ s: String) {
        separate()
        text += "\""
        var plain = true
        for u in s.utf8 where u == 0x22 || u == 0x5C || u < 0x20 { plain = false; break }
        if plain {
            text += s
        } else {
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": text += "\\\""
                case "\\": text += "\\\\"
                case "\n": text += "\\n"
                case "\r": text += "\\r"
                case "\t": text += "\\t"
                default:
                    if scalar.value < 0x20 {
                        let hex = String(scalar.value, radix: 16)
                        text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        text.unicodeScalars.append(scalar)
                    }
                }
            }
        }
        text += "\""
        afterValue = true
    }

    /// Shortest round-trip form; null for NaN and infinities (JSON has none).
    mutating func number(_ x: Double) { raw(x.isFinite ? "\(x)" : "null") }

    mutating func number(_ x: Int) { raw(String(x)) }

    mutating func number(_ x: UInt64) { raw(String(x)) }

    private mutating func separate() {
        if afterValue { text += "," }
    }
}

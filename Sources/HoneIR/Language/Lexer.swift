// The kernel language's lexer: source text → tokens with locations.
//
// Newlines end declarations, so they are tokens, except inside ( ) and [ ],
// where a line break is plain whitespace (an expression may continue there).
// Comments run from `#` to the end of the line.

struct Token: Sendable {
    enum Kind: Equatable, Sendable {
        case identifier(String)
        case integer(Int64)
        case float(Double)
        /// Punctuation and operators: ( ) [ ] , : = + - * / % ^ < <= > >= == != && || !
        case symbol(String)
        case newline
        case end
    }

    var kind: Kind
    /// Where the token starts.
    var location: SourceLocation
    /// The position just after its last character.
    var end: SourceLocation

    var identifier: String? {
        if case .identifier(let name) = kind { return name }
        return nil
    }

    func isSymbol(_ s: String) -> Bool { kind == .symbol(s) }

    /// How the token reads in an error message.
    var spelling: String {
        switch kind {
        case .identifier(let name): "'\(name)'"
        case .integer(let v): "'\(v)'"
        case .float(let v): "'\(v)'"
        case .symbol(let s): "'\(s)'"
        case .newline: "end of line"
        case .end: "end of file"
        }
    }
}

/// Splits `source` into tokens; the last is `.end`.
func tokenize(_ source: String, file: String) throws(HoneError) -> [Token] {
    var lexer = Lexer(source: Array(source.unicodeScalars), file: file)
    return try lexer.run()
}

private struct Lexer {
    let source: [Unicode.Scalar]
    let file: String
    var index = 0
    var line = 1
    var column = 1
    /// Open brackets; newlines inside them are not tokens.
    var depth = 0
    var tokens: [Token] = []

    init(source: [Unicode.Scalar], file: String) {
        self.source = source
        self.file = file
    }

    var location: SourceLocation { SourceLocation(file: file, line: line, column: column) }

    func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < source.count ? source[index + offset] : nil
    }

    mutating func advance() {
        if source[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    mutating func run() throws(HoneError) -> [Token] {
        while let c = peek() {
            let start = location
            switch c {
            case " ", "\t", "\r":
                advance()
            case "#":
                while let d = peek(), d != "\n" { advance() }
            case "\n":
                advance()
                if depth == 0, let last = tokens.last, last.kind != .newline {
                    tokens.append(Token(kind: .newline, location: start, end: location))
                }
            case "0"..."9", ".":
                if c == ".", !(peek(1).map(isDigit) ?? false) {
                    throw HoneError("unexpected character '.'", at: start)
                }
                try number(start: start)
            case "a"..."z", "A"..."Z", "_":
                var name = ""
                while let d = peek(), isIdentifierCharacter(d) {
                    name.unicodeScalars.append(d)
                    advance()
                }
                tokens.append(Token(kind: .identifier(name), location: start, end: location))
            default:
                try symbol(c, start: start)
            }
        }
        if let last = tokens.last, last.kind != .newline {
            tokens.append(Token(kind: .newline, location: location, end: location))
        }
        tokens.append(Token(kind: .end, location: location, end: location))
        return tokens
    }

    mutating func number(start: SourceLocation) throws(HoneError) {
        var text = ""
        var isFloat = false
        func take(_ lexer: inout Lexer) {
            text.unicodeScalars.append(lexer.source[lexer.index])
            lexer.advance()
        }
        while let d = peek(), isDigit(d) { take(&self) }
        if peek() == "." {
            isFloat = true
            take(&self)
            while let d = peek(), isDigit(d) { take(&self) }
        }
        if let e = peek(), e == "e" || e == "E" {
            let signed = peek(1) == "+" || peek(1) == "-"
            if let d = peek(signed ? 2 : 1), isDigit(d) {
                isFloat = true
                take(&self)
                if signed { take(&self) }
                while let d = peek(), isDigit(d) { take(&self) }
            }
        }
        if let d = peek(), isIdentifierCharacter(d) {
            throw HoneError("unexpected '\(d)' after the number \(text)", at: location)
        }
        if isFloat {
            guard let v = Double(text), v.isFinite else { throw HoneError("float literal \(text) is out of range", at: start) }
            tokens.append(Token(kind: .float(v), location: start, end: location))
        } else {
            guard let v = Int64(text) else { throw HoneError("integer literal \(text) is too large", at: start) }
            tokens.append(Token(kind: .integer(v), location: start, end: location))
        }
    }

    mutating func symbol(_ c: Unicode.Scalar, start: SourceLocation) throws(HoneError) {
        let two: String? = peek(1).map { String(Character(c)) + String(Character($0)) }
        let text: String
        if let two, ["<=", ">=", "==", "!=", "&&", "||"].contains(two) {
            text = two
        } else if "()[],:=+-*/%^<>!".unicodeScalars.contains(c) {
            text = String(Character(c))
        } else if c == "&" || c == "|" {
            throw HoneError("unexpected '\(c)'; did you mean '\(c)\(c)'?", at: start)
        } else {
            throw HoneError("unexpected character '\(c)'", at: start)
        }
        for _ in text.unicodeScalars { advance() }
        switch text {
        case "(", "[": depth += 1
        case ")", "]": depth = max(0, depth - 1)
        default: break
        }
        tokens.append(Token(kind: .symbol(text), location: start, end: location))
    }
}

private func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }

private func isIdentifierCharacter(_ c: Unicode.Scalar) -> Bool {
    ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_"
}

/// The comment lines that open a kernel file, without their `#`: what the
/// kernel computes. Blank lines before them are skipped; the first line that
/// is not a comment ends the summary.
func leadingComment(of source: String) -> String {
    var lines: [Substring] = []
    for raw in source.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
        let line = raw.drop { $0 == " " || $0 == "\t" }.droppingTrailingWhitespace
        if line.isEmpty && lines.isEmpty { continue }
        guard line.first == "#" else { break }
        var text = line.dropFirst()
        if text.first == " " { text = text.dropFirst() }
        lines.append(text)
    }
    return lines.joined(separator: "\n")
}

private extension Substring {
    var droppingTrailingWhitespace: Substring {
        var s = self
        while let last = s.last, last == " " || last == "\t" || last == "\r" { s = s.dropLast() }
        return s
    }
}

import Foundation

/// The one date format of records and tuned schedule files: ISO 8601, UTC,
/// milliseconds, "2025-06-01T12:00:00.123Z".
public func iso8601(_ date: Date) -> String {
    // Whole milliseconds first: splitting off the fraction of the seconds would round .901 down to .900.
    let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    var seconds = time_t(milliseconds.quotientAndRemainder(dividingBy: 1000).quotient - (milliseconds % 1000 < 0 ? 1 : 0))
    let millis = Int(milliseconds - Int64(seconds) * 1000)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                  Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), millis)
}

/// The date `iso8601` wrote; also without the milliseconds (tuned files of
/// earlier versions). Nil for anything else. Parsed by hand: tuning curves
/// read the timestamp of every record.
public func parseISO8601(_ text: String) -> Date? {
    let bytes = Array(text.utf8)
    func number(_ from: Int, _ count: Int) -> Int? {
        guard from + count <= bytes.count else { return nil }
        var value = 0
        for b in bytes[from ..< from + count] {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(b - UInt8(ascii: "0"))
        }
        return value
    }
    func at(_ i: Int, _ c: Character) -> Bool { i < bytes.count && bytes[i] == c.asciiValue! }
    guard at(4, "-"), at(7, "-"), at(10, "T"), at(13, ":"), at(16, ":"),
          let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
          let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2) else { return nil }
    var millis = 0
    var end = 19
    if at(19, ".") {
        guard let m = number(20, 3) else { return nil }
        (millis, end) = (m, 23)
    }
    guard at(end, "Z"), end + 1 == bytes.count else { return nil }
    var parts = tm()
    (parts.tm_year, parts.tm_mon, parts.tm_mday) = (Int32(year - 1900), Int32(month - 1), Int32(day))
    (parts.tm_hour, parts.tm_min, parts.tm_sec) = (Int32(hour), Int32(minute), Int32(second))
    return Date(timeIntervalSince1970: Double(timegm(&parts)) + Double(millis) / 1000)
}

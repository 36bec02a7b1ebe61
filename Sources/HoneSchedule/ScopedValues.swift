/// Values bound to names in nested scopes, the innermost last. The
/// simplifier enters a scope per loop and `let` and looks a name up at every
/// variable it meets: searching a short array from its end costs less than
/// hashing the name each time, and leaving a scope is one removal, which
/// also brings back whatever an inner name hid.
struct ScopedValues<Value> {
    private var entries: [(name: String, value: Value?)] = []

    /// The innermost value bound to `name`; nil when there is none or the
    /// innermost binding hides outer ones.
    subscript(name: String) -> Value? {
        for entry in entries.reversed() where entry.name == name { return entry.value }
        return nil
    }

    /// Binds `name` to `value` (nil: hides any outer value) until the matching `leave()`.
    mutating func enter(_ name: String, _ value: Value?) { entries.append((name, value)) }

    mutating func leave() { entries.removeLast() }
}

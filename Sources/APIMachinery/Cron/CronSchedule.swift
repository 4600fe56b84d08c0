import Foundation

/// A parsed CronJob schedule in robfig/cron's standard syntax (what Kubernetes validates and runs
/// CronJob schedules with): five fields (minute hour day-of-month month day-of-week) with ranges,
/// steps, lists, month/weekday names and `?`, or a descriptor (@yearly ... @hourly, @every <duration>),
/// optionally prefixed by `TZ=<zone>` or `CRON_TZ=<zone>`. Shared by validation and the CronJob controller.
public struct CronSchedule: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Bit sets of the allowed values; `domStar`/`dowStar` record a `*` or `?` day field (step 1),
        /// which switches the day rule from OR to AND as standard cron does.
        case fields(minutes: UInt64, hours: UInt64, daysOfMonth: UInt64, months: UInt64, daysOfWeek: UInt64,
                    domStar: Bool, dowStar: Bool)
        /// `@every <duration>`: a constant delay, whole seconds, at least one second.
        case every(seconds: Int64)
    }

    public var kind: Kind
    /// The zone named by a `TZ=`/`CRON_TZ=` prefix, if any.
    public var zoneName: String?

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    struct Bounds {
        var min: Int
        var max: Int
        var names: [String: Int] = [:]
    }

    static let months: [String: Int] = ["jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12]
    static let days: [String: Int] = ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]
    static let fields = [Bounds(min: 0, max: 59), Bounds(min: 0, max: 23), Bounds(min: 1, max: 31), Bounds(min: 1, max: 12, names: months),
                         Bounds(min: 0, max: 6, names: days)]

    /// The parser's error message, or nil for a valid schedule. `isKnownZone` decides whether a
    /// `TZ=` prefix names a real zone.
    public static func validate(_ input: String, isKnownZone: (String) -> Bool = { TimeZone(identifier: $0) != nil }) -> String? {
        do {
            _ = try parse(input, isKnownZone: isKnownZone)
            return nil
        } catch {
            return error.message
        }
    }

    public static func parse(_ input: String, isKnownZone: (String) -> Bool = { TimeZone(identifier: $0) != nil }) throws(ParseError) -> CronSchedule {
        var spec = input.trimmingCharacters(in: .whitespaces)
        if spec.isEmpty { throw ParseError(message: "empty spec string") }
        var zoneName: String?
        if spec.hasPrefix("TZ=") || spec.hasPrefix("CRON_TZ=") {
            guard let space = spec.firstIndex(of: " ") else {
                throw ParseError(message: "provided bad location \(spec.split(separator: "=").last ?? ""): unknown time zone")
            }
            let zone = String(spec[spec.index(after: spec.firstIndex(of: "=") ?? spec.startIndex)..<space])
            if !isKnownZone(zone) { throw ParseError(message: "provided bad location \(zone): unknown time zone \(zone)") }
            zoneName = zone
            spec = spec[space...].trimmingCharacters(in: .whitespaces)
        }
        if spec.hasPrefix("@") { return CronSchedule(kind: try descriptor(spec), zoneName: zoneName) }
        let parts = spec.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        if parts.count != 5 {
            throw ParseError(message: "expected exactly 5 fields, found \(parts.count): [\(parts.joined(separator: " "))]")
        }
        var bits: [UInt64] = []
        var stars: [Bool] = []
        for (part, bounds) in zip(parts, fields) {
            var fieldBits: UInt64 = 0
            var star = false
            for expr in part.split(separator: ",", omittingEmptySubsequences: false) {
                let (b, s) = try range(String(expr), bounds)
                fieldBits |= b
                star = star || s
            }
            bits.append(fieldBits)
            stars.append(star)
        }
        return CronSchedule(kind: .fields(minutes: bits[0], hours: bits[1], daysOfMonth: bits[2], months: bits[3], daysOfWeek: bits[4],
                                          domStar: stars[2], dowStar: stars[4]), zoneName: zoneName)
    }

    static func descriptor(_ spec: String) throws(ParseError) -> Kind {
        func all(_ b: Bounds) -> UInt64 { (b.min...b.max).reduce(0) { $0 | (1 << UInt64($1)) } }
        let anyDom = all(fields[2]), anyMonth = all(fields[3]), anyDow = all(fields[4])
        switch spec {
        case "@yearly", "@annually":
            return .fields(minutes: 1, hours: 1, daysOfMonth: 1 << 1, months: 1 << 1, daysOfWeek: anyDow, domStar: false, dowStar: true)
        case "@monthly":
            return .fields(minutes: 1, hours: 1, daysOfMonth: 1 << 1, months: anyMonth, daysOfWeek: anyDow, domStar: false, dowStar: true)
        case "@weekly":
            return .fields(minutes: 1, hours: 1, daysOfMonth: anyDom, months: anyMonth, daysOfWeek: 1, domStar: true, dowStar: false)
        case "@daily", "@midnight":
            return .fields(minutes: 1, hours: 1, daysOfMonth: anyDom, months: anyMonth, daysOfWeek: anyDow, domStar: true, dowStar: true)
        case "@hourly":
            return .fields(minutes: 1, hours: all(fields[1]), daysOfMonth: anyDom, months: anyMonth, daysOfWeek: anyDow, domStar: true, dowStar: true)
        default: break
        }
        if spec.hasPrefix("@every ") {
            let text = String(spec.dropFirst("@every ".count))
            guard let seconds = goDuration(text) else {
                throw ParseError(message: "failed to parse duration \(spec): time: invalid duration \(FieldError.render(.string(text)) ?? text)")
            }
            return .every(seconds: max(1, Int64(seconds.rounded(.down))))
        }
        throw ParseError(message: "unrecognized descriptor: \(spec)")
    }

    /// Go's time.ParseDuration: [-+]? then one or more <decimal><unit>, or "0". The value in seconds.
    public static func goDuration(_ text: String) -> Double? {
        var s = Substring(text)
        var sign = 1.0
        if let f = s.first, f == "-" || f == "+" {
            if f == "-" { sign = -1 }
            s = s.dropFirst()
        }
        if s == "0" { return 0 }
        if s.isEmpty { return nil }
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("μs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        var total = 0.0
        while !s.isEmpty {
            let number = s.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            if number.isEmpty || number == "." { return nil }
            s = s.dropFirst(number.count)
            guard let unit = units.sorted(by: { $0.0.count > $1.0.count }).first(where: { s.hasPrefix($0.0) }),
                  let value = Double(number.hasPrefix(".") ? "0" + number : String(number)) else { return nil }
            total += value * unit.1
            s = s.dropFirst(unit.0.count)
        }
        return sign * total
    }

    static func parseInt(_ expr: String, _ names: [String: Int]) throws(ParseError) -> Int {
        if let named = names[expr.lowercased()] { return named }
        guard let number = Int(expr), expr.first != "+" else {
            let quoted = FieldError.render(.string(expr)) ?? expr
            throw ParseError(message: "failed to parse int from \(expr): strconv.Atoi: parsing \(quoted): invalid syntax")
        }
        if number < 0 { throw ParseError(message: "negative number (\(number)) not allowed: \(expr)") }
        return number
    }

    /// The bits of one comma-separated term, and whether it was a `*`/`?` with step 1.
    static func range(_ expr: String, _ bounds: Bounds) throws(ParseError) -> (UInt64, Bool) {
        let rangeAndStep = expr.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let lowAndHigh = rangeAndStep[0].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        var start = 0, end = 0, step = 1
        var star = false
        if lowAndHigh[0] == "*" || lowAndHigh[0] == "?" {
            start = bounds.min
            end = bounds.max
            star = true
        } else {
            start = try parseInt(lowAndHigh[0], bounds.names)
            switch lowAndHigh.count {
            case 1: end = start
            case 2: end = try parseInt(lowAndHigh[1], bounds.names)
            default: throw ParseError(message: "too many hyphens: \(expr)")
            }
        }
        switch rangeAndStep.count {
        case 1: step = 1
        case 2:
            step = try parseInt(rangeAndStep[1], [:])
            if lowAndHigh.count == 1 { end = bounds.max }
            if step > 1 { star = false }
        default: throw ParseError(message: "too many slashes: \(expr)")
        }
        if start < bounds.min { throw ParseError(message: "beginning of range (\(start)) below minimum (\(bounds.min)): \(expr)") }
        if end > bounds.max { throw ParseError(message: "end of range (\(end)) above maximum (\(bounds.max)): \(expr)") }
        if start > end { throw ParseError(message: "beginning of range (\(start)) beyond end of range (\(end)): \(expr)") }
        if step == 0 { throw ParseError(message: "step of range should be a positive number: \(expr)") }
        var bits: UInt64 = 0
        for v in stride(from: start, through: end, by: step) { bits |= 1 << UInt64(v) }
        return (bits, star)
    }

    /// The first activation strictly after `date`, in `zone` (the schedule's own TZ= zone wins).
    /// Nil when none falls within five years (e.g. `0 0 30 2 *`).
    public func next(after date: Date, in zone: TimeZone) -> Date? {
        switch kind {
        case .every(let seconds):
            return Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down) + Double(seconds))
        case .fields(let minutes, let hours, let doms, let months, let dows, let domStar, let dowStar):
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zoneName.flatMap(TimeZone.init(identifier:)) ?? zone
            let start = Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
            // Walk wall-clock days from the start's local day; on that day, skip hours and minutes before it.
            let first = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: start)
            guard var day = calendar.date(from: DateComponents(year: first.year, month: first.month, day: first.day, hour: 12)) else { return nil }
            var isFirstDay = true
            for _ in 0..<(366 * 5 + 2) {
                defer { isFirstDay = false }
                let c = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
                let (y, mo, d, wd) = (c.year ?? 0, c.month ?? 1, c.day ?? 1, (c.weekday ?? 1) - 1)
                let domMatch = doms & (1 << UInt64(d)) != 0, dowMatch = dows & (1 << UInt64(wd)) != 0
                let dayMatches = (domStar || dowStar) ? (domMatch && dowMatch) : (domMatch || dowMatch)
                if months & (1 << UInt64(mo)) != 0, dayMatches {
                    let firstHour = isFirstDay ? (first.hour ?? 0) : 0
                    for h in firstHour..<24 where hours & (1 << UInt64(h)) != 0 {
                        let firstMinute = isFirstDay && h == firstHour ? (first.minute ?? 0) : 0
                        for m in firstMinute..<60 where minutes & (1 << UInt64(m)) != 0 {
                            guard let candidate = calendar.date(from: DateComponents(year: y, month: mo, day: d, hour: h, minute: m)) else { continue }
                            let back = calendar.dateComponents([.hour, .minute], from: candidate)
                            if back.hour != h || back.minute != m { continue } // inside a DST gap
                            if candidate >= start { return candidate }
                        }
                    }
                }
                guard let nextDay = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
                day = nextDay
            }
            return nil
        }
    }
}

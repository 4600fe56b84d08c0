/// A tiny protobuf writer for hand-built test bodies.
enum PB {
    static func varint(_ v: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        var x = v
        while x >= 0x80 {
            out.append(UInt8(x & 0x7f) | 0x80)
            x >>= 7
        }
        out.append(UInt8(x))
        return out
    }

    static func key(_ n: Int, _ wireType: UInt64) -> [UInt8] { varint(UInt64(n) << 3 | wireType) }
    static func int(_ n: Int, _ v: Int64) -> [UInt8] { key(n, 0) + varint(UInt64(bitPattern: v)) }
    static func bytes(_ n: Int, _ b: [UInt8]) -> [UInt8] { key(n, 2) + varint(UInt64(b.count)) + b }
    static func str(_ n: Int, _ s: String) -> [UInt8] { bytes(n, Array(s.utf8)) }

    /// `k8s\0` + runtime.Unknown{typeMeta, raw}.
    static func envelope(_ apiVersion: String, _ kind: String, _ raw: [UInt8]) -> [UInt8] {
        [0x6b, 0x38, 0x73, 0x00] + bytes(1, str(1, apiVersion) + str(2, kind)) + bytes(2, raw)
    }
}

/// SplitMix64: deterministic randomness for the fuzz tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

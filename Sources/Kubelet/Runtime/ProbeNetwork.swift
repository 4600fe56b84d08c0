import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The network side of httpGet and tcpSocket probes (behind a protocol so tests can fake it).
public protocol ProbeNetwork: Sendable {
    /// Connects to host:port within `timeout`; nil on success, else why not.
    func tcpCheck(host: String, port: Int, timeout: TimeInterval) async -> String?
    /// GETs http://host:port/path with `headers`; the status code, or why there is none.
    func httpGet(host: String, port: Int, path: String, headers: [(String, String)], timeout: TimeInterval) async -> Result<Int, ProbeNetworkError>
}

public struct ProbeNetworkError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Plain POSIX sockets (IPv4 addresses), each probe on its own thread with a deadline.
public struct SocketProbeNetwork: ProbeNetwork {
    public init() {}

    public func tcpCheck(host: String, port: Int, timeout: TimeInterval) async -> String? {
        await Self.blocking {
            switch Self.connect(host: host, port: port, timeout: timeout) {
            case .success(let fd):
                close(fd)
                return nil
            case .failure(let error):
                return error.description
            }
        }
    }

    public func httpGet(host: String, port: Int, path: String, headers: [(String, String)],
                        timeout: TimeInterval) async -> Result<Int, ProbeNetworkError> {
        await Self.blocking {
            let deadline = Date().addingTimeInterval(timeout)
            let fd: Int32
            switch Self.connect(host: host, port: port, timeout: timeout) {
            case .success(let opened): fd = opened
            case .failure(let error): return .failure(error)
            }
            defer { close(fd) }
            var request = "GET \(path.isEmpty ? "/" : path) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
            for (name, value) in headers { request += "\(name): \(value)\r\n" }
            request += "Connection: close\r\n\r\n"
            let bytes = Array(request.utf8)
            guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
                return .failure(ProbeNetworkError("write: errno \(errno)"))
            }
            var response: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while response.firstIndex(of: UInt8(ascii: "\n")) == nil {
                let left = deadline.timeIntervalSinceNow
                guard left > 0 else { return .failure(ProbeNetworkError("context deadline exceeded (Client.Timeout exceeded while awaiting headers)")) }
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, Int32(left * 1000)) > 0 else {
                    return .failure(ProbeNetworkError("context deadline exceeded (Client.Timeout exceeded while awaiting headers)"))
                }
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                response += buffer[0..<n]
            }
            let line = String(decoding: response.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
            let parts = line.split(separator: " ")
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else {
                return .failure(ProbeNetworkError("malformed HTTP response \"\(line.trimmingCharacters(in: .whitespacesAndNewlines))\""))
            }
            return .success(code)
        }
    }

    static func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }

    /// A connected non-blocking-then-blocking TCP socket, or the error as Go's dialer words it.
    static func connect(host: String, port: Int, timeout: TimeInterval) -> Result<Int32, ProbeNetworkError> {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return .failure(ProbeNetworkError("invalid address \(host)")) }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .failure(ProbeNetworkError("socket: errno \(errno)")) }
        let flags = fcntl(fd, F_GETFL, 0)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 && errno != EINPROGRESS {
            let code = errno
            close(fd)
            return .failure(ProbeNetworkError("dial tcp \(host):\(port): connect: \(String(cString: strerror(code)).lowercased())"))
        }
        if result != 0 {
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&poller, 1, Int32(max(1, timeout * 1000))) > 0 else {
                close(fd)
                return .failure(ProbeNetworkError("dial tcp \(host):\(port): i/o timeout"))
            }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error != 0 {
                close(fd)
                return .failure(ProbeNetworkError("dial tcp \(host):\(port): connect: \(String(cString: strerror(error)).lowercased())"))
            }
        }
        _ = fcntl(fd, F_SETFL, flags)
        return .success(fd)
    }
}

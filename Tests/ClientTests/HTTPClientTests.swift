import APIMachinery
import Client
import ClientHTTP
import Cluster
import Foundation
import Logging
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A free TCP port on 127.0.0.1 (bound, read and released; a race with another process is unlikely).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw CancellationError() }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0 else { throw CancellationError() }
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw CancellationError() }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Runs the control plane in this process on a free loopback port for the duration of `body`.
func withServer(_ body: (HTTPAPIClient) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-client-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var configuration = ServerConfiguration()
    configuration.dataDirectory = directory + "/data"
    configuration.kubeconfigPath = directory + "/kubeconfig.yaml"
    configuration.port = try freeLoopbackPort()
    var logger = Logger(label: "client-tests")
    logger.logLevel = .error
    let plane = ControlPlane(configuration: configuration, logger: logger)
    let server = Task { try await plane.run() }
    defer { server.cancel() }
    let path = configuration.kubeconfigPath
    try await eventually("kubeconfig written", timeout: .seconds(30)) { FileManager.default.fileExists(atPath: path) }
    let client = try HTTPAPIClient(kubeconfigPath: path)
    #expect(client.cluster.server == "http://127.0.0.1:\(configuration.port)")
    try await eventually("server ready", timeout: .seconds(30)) {
        (try? await client.get(.namespaces, name: "default")) != nil
    }
    try await body(client)
    server.cancel()
    _ = await server.result
}

@Suite(.serialized) struct HTTPClientTests {
    @Test func crudWatchAndErrorsOverHTTP() async throws {
        try await withServer { client in
            let start = try await client.list(.configMaps, namespace: "default")
            let stream = try await client.watch(.configMaps, namespace: "default",
                                                query: WatchQuery(resourceVersion: start.resourceVersion, timeoutSeconds: 30))

            let created = try await client.create(.configMaps, namespace: "default", object: configMap("h", data: ["a": "1"]))
            #expect(created.uid.count == 36)
            let read = try await client.get(.configMaps, namespace: "default", name: "h")
            #expect(read["data"] == ["a": "1"])

            var changed = read
            changed["data"] = ["a": "2"]
            _ = try await client.update(.configMaps, namespace: "default", object: changed)
            let conflict = await #expect(throws: StatusError.self) {
                _ = try await client.update(.configMaps, namespace: "default", object: changed)
            }
            #expect(conflict?.isConflict == true)
            #expect(conflict?.details?.name == "h")

            let patched = try await client.patch(.configMaps, namespace: "default", name: "h", format: .strategic,
                                                 body: ["metadata": ["labels": ["x": "y"]]])
            #expect(patched.labels == ["x": "y"])
            let applied = try await client.apply(.configMaps, namespace: "default", object: configMap("h2", data: ["b": "2"]),
                                                 fieldManager: "client-tests")
            #expect(applied["data"] == ["b": "2"])

            let invalid = await #expect(throws: StatusError.self) {
                _ = try await client.create(.configMaps, namespace: "default", object: configMap("Bad_Name"))
            }
            #expect(invalid?.code == 422)
            #expect(invalid?.reason == "Invalid")
            #expect(invalid?.details?.causes.first?.field == "metadata.name")

            let listed = try await client.list(.configMaps, namespace: "default", query: ListQuery(labelSelector: "x=y"))
            #expect(listed.items.map(\.name) == ["h"])
            #expect(listed.items.first?.kind == "ConfigMap")
            #expect(listed.items.first?.apiVersion == "v1")
            let paged = try await client.listAll(.configMaps, namespace: "default", pageSize: 1)
            #expect(paged.items.map(\.name).filter { $0.hasPrefix("h") } == ["h", "h2"])

            let status = try await client.delete(.configMaps, namespace: "default", name: "h")
            #expect(status["status"] == "Success")
            let missing = await #expect(throws: StatusError.self) {
                _ = try await client.get(.configMaps, namespace: "default", name: "h")
            }
            #expect(missing?.isNotFound == true)
            #expect(missing?.message == "configmaps \"h\" not found")

            var seen: [String] = []
            for await event in stream {
                seen.append("\(event.type.rawValue):\(event.object.name)")
                if seen.count == 5 { break }
            }
            stream.stop()
            #expect(seen == ["ADDED:h", "MODIFIED:h", "MODIFIED:h", "ADDED:h2", "DELETED:h"])

            // Subresources: status, binding, eviction.
            _ = try await client.create(.pods, namespace: "default", object: pod("p"))
            try await client.bind(namespace: "default", pod: "p", node: "n1")
            #expect(try await client.get(.pods, namespace: "default", name: "p")["spec"]?["nodeName"] == "n1")
            try await client.evict(namespace: "default", pod: "p", options: DeleteQuery(gracePeriodSeconds: 0))
        }
    }

    @Test func informerOverHTTP() async throws {
        try await withServer { client in
            _ = try await client.create(.configMaps, namespace: "default", object: configMap("one"))
            let informer = SharedInformer(client: client, resource: .configMaps, namespace: "default")
            let recorder = Recorder()
            informer.addHandler(recorder.handler)
            let run = Task { await informer.run() }
            defer { run.cancel() }
            #expect(await informer.waitForSync())
            _ = try await client.create(.configMaps, namespace: "default", object: configMap("two"))
            _ = try await client.delete(.configMaps, namespace: "default", name: "one")
            try await eventually("events over HTTP") { recorder.entries.count >= 3 }
            #expect(recorder.entries.filter { !$0.hasPrefix("add:kube-root") } == ["add:one", "add:two", "delete:one"])
            run.cancel()
            await run.value
        }
    }

    @Test func unreachableServerIsServiceUnavailable() async throws {
        let port = try freeLoopbackPort()
        var client = HTTPAPIClient(cluster: KubeconfigCluster(server: "http://127.0.0.1:\(port)"))
        // The HTTP client retries a refused connection until the request's deadline.
        client.requestTimeout = .milliseconds(300)
        let error = await #expect(throws: StatusError.self) {
            _ = try await client.list(.namespaces)
        }
        #expect(error?.code == 503)
    }
}

@Suite struct WireFormatTests {
    @Test func watchDecoderSplitsEventsAcrossBuffers() {
        let body = Array("""
        {"type":"ADDED","object":{"metadata":{"name":"a"}}}
        {"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}}
        {"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old"}}
        {"type":"DELETED","object":{"metadata":{"name":"b"}}}
        """.utf8)
        var decoder = WatchEventDecoder()
        var events: [ResourceEvent] = []
        var index = 0
        for size in [3, 50, 1, 70, 200, 1000] where index < body.count {
            let end = min(body.count, index + size)
            events += decoder.feed(body[index..<end])
            index = end
        }
        events += decoder.finish()
        #expect(events.map(\.type) == [.added, .bookmark, .error, .deleted])
        #expect(events[0].object.name == "a")
        #expect(events[1].object.resourceVersion == "7")
        #expect(events[2].error?.isExpired == true)
        #expect(events[2].error?.message == "too old")
        #expect(events[3].object.name == "b")
    }

    @Test func kubeconfigParsing() throws {
        let text = """
        apiVersion: v1
        kind: Config
        clusters:
        - cluster:
            server: https://10.0.0.1:6443/
            certificate-authority-data: \(Data("PEM".utf8).base64EncodedString())
          name: prod
        - cluster:
            server: http://127.0.0.1:6443
          name: swiftlet
        contexts:
        - context: {cluster: swiftlet, namespace: apps, user: admin}
          name: local
        - context: {cluster: prod, user: robot}
          name: prod
        current-context: local
        users:
        - name: admin
          user: {}
        - name: robot
          user: {token: abc}
        """
        let local = try KubeconfigCluster.parse(text)
        #expect(local.server == "http://127.0.0.1:6443")
        #expect(local.namespace == "apps")
        #expect(local.bearerToken == nil)
        let prod = try KubeconfigCluster.parse(text, context: "prod")
        #expect(prod.server == "https://10.0.0.1:6443")
        #expect(prod.bearerToken == "abc")
        #expect(prod.certificateAuthority == "PEM")
        #expect(prod.namespace == "default")
        #expect(throws: KubeconfigCluster.LoadError.self) { try KubeconfigCluster.parse(text, context: "missing") }
    }

    @Test func queryItems() {
        let list = ListQuery(labelSelector: "a=b,c", limit: 10, continueToken: "t", resourceVersion: "5", resourceVersionMatch: "NotOlderThan")
        #expect(list.queryItems.map { "\($0.0)=\($0.1)" } == ["labelSelector=a=b,c", "limit=10", "continue=t", "resourceVersion=5",
                                                               "resourceVersionMatch=NotOlderThan"])
        let watch = WatchQuery(resourceVersion: "9", allowWatchBookmarks: true, timeoutSeconds: 30)
        #expect(watch.queryItems.map { "\($0.0)=\($0.1)" } == ["watch=1", "resourceVersion=9", "allowWatchBookmarks=true", "timeoutSeconds=30"])
        let delete = DeleteQuery(gracePeriodSeconds: 0, propagationPolicy: .foreground, preconditionUID: "u")
        #expect(delete.body == ["kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0, "propagationPolicy": "Foreground",
                                "preconditions": ["uid": "u"]])
        #expect(DeleteQuery(json: delete.body) == delete)
    }
}

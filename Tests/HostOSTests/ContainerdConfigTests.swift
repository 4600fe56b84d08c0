import Foundation
import Testing

@testable import HostOS

@Suite struct ContainerdConfigTests {
    let layout = ContainerdLayout.agent()
    let cri = ["plugins", "io.containerd.grpc.v1.cri"]

    func config(crun: String? = nil) -> ContainerdConfig {
        var config = ContainerdConfig(layout: layout, podCIDR: "10.244.1.0/24", sandboxImage: "127.0.0.1:5000/pause:3.9")
        config.crunPath = crun
        return config
    }

    @Test func layoutOfTheAgent() {
        #expect(layout.root == "/var/lib/swiftlet/agent/containerd")
        #expect(layout.state == "/run/swiftlet/containerd")
        #expect(layout.socket == "/run/swiftlet/containerd/containerd.sock")
        #expect(ContainerdLayout.defaultSocket == layout.socket)
        #expect(layout.configFile == "/var/lib/swiftlet/agent/containerd-config/config.toml")
    }

    @Test func renderedConfigHasEveryFieldContainerdNeeds() throws {
        let doc = try TOMLReader.parse(config(crun: "/usr/bin/crun").configDocument().render())
        #expect(doc == config(crun: "/usr/bin/crun").configDocument())
        let root = try #require(doc.table([]))
        #expect(root.value("version") == .integer(2))
        #expect(root.value("root") == .string("/var/lib/swiftlet/agent/containerd"))
        #expect(root.value("state") == .string("/run/swiftlet/containerd"))
        #expect(doc["grpc"]?.value("address") == .string("/run/swiftlet/containerd/containerd.sock"))
        #expect(doc["plugins", "io.containerd.internal.v1.opt"]?.value("path") == .string("/var/lib/swiftlet/agent/containerd/opt"))

        let plugin = try #require(doc.table(cri))
        #expect(plugin.value("sandbox_image") == .string("127.0.0.1:5000/pause:3.9"))
        #expect(plugin.value("systemd_cgroup") == .boolean(false))
        #expect(plugin.value("disable_apparmor") == .boolean(true))
        #expect(plugin.value("restrict_oom_score_adj") == .boolean(true))
        #expect(plugin.value("tolerate_missing_hugetlb_controller") == .boolean(true))
        #expect(plugin.value("disable_hugetlb_controller") == .boolean(true))
        #expect(plugin.value("stream_server_address") == .string("127.0.0.1"))
        #expect(plugin.value("stream_server_port") == .string("0"))
        #expect(plugin.value("enable_tls_streaming") == .boolean(false))

        #expect(doc.table(cri + ["cni"])?.value("bin_dir") == .string("/usr/lib/cni"))
        #expect(doc.table(cri + ["cni"])?.value("conf_dir") == .string("/var/lib/swiftlet/agent/containerd-config/cni/net.d"))
        #expect(doc.table(cri + ["containerd"])?.value("snapshotter") == .string("overlayfs"))
        #expect(doc.table(cri + ["containerd"])?.value("default_runtime_name") == .string("runc"))
        for (name, binary) in [("runc", "/usr/sbin/runc"), ("crun", "/usr/bin/crun")] {
            let runtime = cri + ["containerd", "runtimes", name]
            #expect(doc.table(runtime)?.value("runtime_type") == .string("io.containerd.runc.v2"))
            #expect(doc.table(runtime + ["options"])?.value("BinaryName") == .string(binary))
            #expect(doc.table(runtime + ["options"])?.value("SystemdCgroup") == .boolean(false))
        }
        #expect(doc.table(cri + ["registry"])?.value("config_path") == .string("/var/lib/swiftlet/agent/containerd-config/certs.d"))
    }

    @Test func crunIsOnlyConfiguredWhenPresent() throws {
        let doc = config(crun: nil).configDocument()
        #expect(doc.table(cri + ["containerd", "runtimes", "runc"]) != nil)
        #expect(doc.table(cri + ["containerd", "runtimes", "crun"]) == nil)
        #expect(!doc.render().contains("crun"))
        #expect(doc.render().contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]"))
    }

    @Test func cniConflistUsesThePodCIDRAndItsFirstAddress() throws {
        var config = config()
        config.bridgeName = "swl-test0"
        let json = try #require(try JSONSerialization.jsonObject(with: Data(config.cniConflist().utf8)) as? [String: Any])
        #expect(json["cniVersion"] as? String == "1.0.0")
        #expect(json["name"] as? String == "swiftlet")
        let plugins = try #require(json["plugins"] as? [[String: Any]])
        #expect(plugins.count == 2)
        let bridge = plugins[0]
        #expect(bridge["type"] as? String == "bridge")
        #expect(bridge["bridge"] as? String == "swl-test0")
        #expect(bridge["isGateway"] as? Bool == true)
        #expect(bridge["ipMasq"] as? Bool == false)
        #expect(bridge["hairpinMode"] as? Bool == true)
        #expect(bridge["promiscMode"] == nil)
        let ipam = try #require(bridge["ipam"] as? [String: Any])
        #expect(ipam["type"] as? String == "host-local")
        let ranges = try #require(ipam["ranges"] as? [[[String: String]]])
        #expect(ranges == [[["subnet": "10.244.1.0/24", "gateway": "10.244.1.1"]]])
        #expect(ipam["routes"] as? [[String: String]] == [["dst": "0.0.0.0/0"]])
        #expect(ipam["dataDir"] as? String == "/run/swiftlet/containerd/cni-ipam")
        let portmap = plugins[1]
        #expect(portmap["type"] as? String == "portmap")
        #expect(portmap["capabilities"] as? [String: Bool] == ["portMappings": true])
        #expect(portmap["snat"] as? Bool == true)
    }

    @Test(arguments: [("10.88.0.0/16", "10.88.0.0/16", "10.88.0.1"), ("10.244.3.7/24", "10.244.3.0/24", "10.244.3.1")])
    func cidrs(input: String, normalized: String, gateway: String) throws {
        let cidr = try IPv4CIDR(input)
        #expect(cidr.description == normalized)
        #expect(cidr.firstAddress == gateway)
    }

    @Test(arguments: ["", "10.0.0.0", "10.0.0/8", "300.1.1.1/8", "10.0.0.0/33", "fd00::/64"])
    func invalidPodCIDRsAreClearErrors(input: String) {
        var config = config()
        config.podCIDR = input
        #expect(throws: ContainerdConfigError.invalidPodCIDR(input)) { try config.cniConflist() }
    }

    @Test func tomlStringsAreEscaped() throws {
        var doc = TOMLDocument()
        doc.set(["a.b", "c"], "k e\"y", .string("quote \" backslash \\ newline \n tab \t bell \u{07}"))
        let text = doc.render()
        #expect(text.contains("[\"a.b\".c]"))
        #expect(text.contains(#""k e\"y" = "quote \" backslash \\ newline \n tab \t bell \u0007""#))
        #expect(try TOMLReader.parse(text) == doc)
    }
}

@Suite struct RegistriesConfigTests {
    let yaml = """
        mirrors:
          docker.io:
            endpoint:
              - "http://127.0.0.1:5000"
              - "https://mirror.example:8443/v2"
          "*":
            endpoint: ["http://127.0.0.1:5000"]
        configs:
          "127.0.0.1:5000":
            auth:
              username: alice
              password: "s3cret"
          "mirror.example:8443":
            auth:
              identitytoken: tok
            tls:
              insecure_skip_verify: true
              ca_file: /etc/ssl/ca.pem
              cert_file: /etc/ssl/client.pem
              key_file: /etc/ssl/client.key
          "private.example":
            auth:
              auth: YWxpY2U6czNjcmV0
            tls:
              ca_file: /etc/ssl/private-ca.pem
        """

    @Test func parsesMirrorsAndConfigs() throws {
        let config = try RegistriesConfig.parse(yaml)
        #expect(config.mirrors["docker.io"]?.endpoint == ["http://127.0.0.1:5000", "https://mirror.example:8443/v2"])
        #expect(config.configs["127.0.0.1:5000"]?.auth == .init(username: "alice", password: "s3cret"))
        #expect(config.configs["mirror.example:8443"]?.tls == .init(
            insecureSkipVerify: true, caFile: "/etc/ssl/ca.pem", certFile: "/etc/ssl/client.pem", keyFile: "/etc/ssl/client.key"))
        #expect(config.credentials.keys.sorted() == ["127.0.0.1:5000", "mirror.example:8443", "private.example"])
    }

    @Test func hostsFilesForMirrorsAndTLSOnlyRegistries() throws {
        let files = try RegistriesConfig.parse(yaml).hostsFiles()
        #expect(files.map(\.directory) == ["_default", "docker.io", "mirror.example:8443", "private.example"])
        let docker = try TOMLReader.parse(try #require(files.first { $0.directory == "docker.io" }).document.render())
        #expect(docker.table([])?.value("server") == .string("http://127.0.0.1:5000"))
        let local = try #require(docker["host", "http://127.0.0.1:5000"])
        #expect(local.value("capabilities") == .strings(["pull", "resolve"]))
        #expect(local.value("skip_verify") == nil)
        let mirror = try #require(docker["host", "https://mirror.example:8443/v2"])
        #expect(mirror.value("capabilities") == .strings(["pull", "resolve"]))
        #expect(mirror.value("skip_verify") == .boolean(true))
        #expect(mirror.value("ca") == .string("/etc/ssl/ca.pem"))
        #expect(mirror.value("client") == .stringLists([["/etc/ssl/client.pem", "/etc/ssl/client.key"]]))

        let privateHosts = try TOMLReader.parse(try #require(files.first { $0.directory == "private.example" }).document.render())
        #expect(privateHosts.table([])?.value("server") == .string("https://private.example"))
        #expect(privateHosts["host", "https://private.example"]?.value("ca") == .string("/etc/ssl/private-ca.pem"))
    }

    @Test func credentialsGoToTheCRIRegistryConfigs() throws {
        var config = ContainerdConfig(layout: .agent(), podCIDR: "10.88.0.0/16", sandboxImage: "pause")
        config.registries = try RegistriesConfig.parse(yaml)
        let doc = try TOMLReader.parse(config.configDocument().render())
        let base = ["plugins", "io.containerd.grpc.v1.cri", "registry", "configs"]
        let alice = try #require(doc.table(base + ["127.0.0.1:5000", "auth"]))
        #expect(alice.value("username") == .string("alice"))
        #expect(alice.value("password") == .string("s3cret"))
        #expect(doc.table(base + ["mirror.example:8443", "auth"])?.value("identitytoken") == .string("tok"))
        #expect(doc.table(base + ["private.example", "auth"])?.value("auth") == .string("YWxpY2U6czNjcmV0"))
        // TLS lives in hosts.toml only (containerd rejects mixing it with config_path).
        #expect(doc.tables.allSatisfy { !$0.path.contains("tls") })
        let paths = try config.files().map(\.path)
        #expect(paths.contains("/var/lib/swiftlet/agent/containerd-config/certs.d/docker.io/hosts.toml"))
        #expect(paths.contains("/var/lib/swiftlet/agent/containerd-config/certs.d/_default/hosts.toml"))
    }

    @Test func emptyFileIsAnEmptyConfig() throws {
        #expect(try RegistriesConfig.parse("") == RegistriesConfig())
        #expect(try RegistriesConfig.parse("mirrors: {}\n").hostsFiles().isEmpty)
    }

    @Test(arguments: [
        ("mirrors: [unclosed", "invalid registries configuration"),
        ("mirrors:\n  docker.io:\n    endpoint: 5", "mirrors.docker.io.endpoint"),
        ("mirrors:\n  docker.io:\n    endpoint: [\"ftp://x\"]", "is not an http(s) URL"),
        ("configs:\n  \"a:1\":\n    tls:\n      insecure_skip_verify: maybe", "configs.a:1.tls.insecure_skip_verify"),
        ("configs:\n  \"a:1\":\n    tls:\n      key_file: /k", "key_file needs cert_file"),
        ("- just\n- a list", "invalid registries configuration"),
    ])
    func invalidInputIsAClearError(yaml: String, expected: String) {
        do {
            _ = try RegistriesConfig.parse(yaml, source: "test.yaml")
            Issue.record("parsed invalid input: \(yaml)")
        } catch let error as RegistriesConfigError {
            #expect(error.description.contains(expected), "\(error)")
            #expect(error.description.contains("test.yaml"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func aMissingFileIsAClearError() {
        #expect(throws: RegistriesConfigError.self) { try RegistriesConfig.load(path: "/nonexistent/registries.yaml") }
    }
}

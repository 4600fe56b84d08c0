import APIMachinery
import Client
import Foundation
import Logging

/// What every controller is given: the API client, the informers shared by every controller of the
/// process, an event recorder per component name, a logger and a clock (tests move it).
public struct ControllerContext: Sendable {
    public let client: any APIClient
    public let informers: SharedInformerFactory
    public let logger: Logger
    /// The wall clock controllers use for timestamps and deadlines (a fixed or moving clock in tests).
    public let now: @Sendable () -> Date
    /// Per-controller settings (grace periods).
    public let options: ControllerOptions

    public init(client: any APIClient, informers: SharedInformerFactory? = nil, logger: Logger = Logger(label: "swiftlet.controllers"),
                now: @escaping @Sendable () -> Date = { Date() }, options: ControllerOptions = ControllerOptions()) {
        self.options = options
        self.client = client
        self.informers = informers ?? SharedInformerFactory(client: client)
        self.logger = logger
        self.now = now
    }

    /// An event recorder reporting as `component` ("replicaset-controller", "deployment-controller").
    public func recorder(_ component: String) -> EventRecorder {
        EventRecorder(client: client, component: component)
    }
}

/// A control loop of kube-controller-manager. `run` registers its informer handlers, waits for the
/// informers it uses to sync, then processes its queue with `workers` concurrent workers until the
/// task is cancelled.
public protocol Controller: Sendable {
    /// The name used by `--disable-controllers` and in logs: "replicaset", "deployment", …
    static var name: String { get }
    func run(workers: Int) async
}

import Client
import Foundation
import Logging

/// kube-controller-manager inside `swiftlet server`: every enabled controller over one shared informer
/// factory, started once this process leads the `kube-controller-manager` Lease in kube-system (so that
/// several servers can run later; the loser waits as a hot standby).
public final class ControllerManager: Sendable {
    /// One controller of the manager: its name (for `--disable-controllers`), its workers, how to make it.
    public struct Descriptor: Sendable {
        public var name: String
        public var workers: Int
        public var make: @Sendable (ControllerContext) -> any Controller

        public init(name: String, workers: Int = 2, make: @escaping @Sendable (ControllerContext) -> any Controller) {
            self.name = name
            self.workers = workers
            self.make = make
        }
    }

    /// The names `--disable-controllers` accepts.
    public static var names: [String] { all.map(\.name) }

    public let context: ControllerContext
    public let enabled: [Descriptor]
    let leaderElection: LeaderElectionConfig?

    /// `disabled` names controllers not to run; `leaderElection` nil runs them at once without a Lease.
    public init(context: ControllerContext, disabled: Set<String> = [], leaderElection: LeaderElectionConfig? = nil,
                controllers: [Descriptor] = ControllerManager.all) {
        self.context = context
        self.enabled = controllers.filter { !disabled.contains($0.name) }
        self.leaderElection = leaderElection
    }

    /// Runs until the task is cancelled.
    public func run() async {
        guard !enabled.isEmpty else { return }
        if let leaderElection {
            let elector = LeaderElector(client: context.client, config: leaderElection)
            await elector.run { [self] in await runControllers() }
        } else {
            await runControllers()
        }
    }

    func runControllers() async {
        let controllers = enabled.map { ($0, $0.make(context)) }
        context.informers.start()
        await withTaskGroup(of: Void.self) { group in
            for (descriptor, controller) in controllers {
                group.addTask {
                    await controller.run(workers: descriptor.workers)
                }
            }
            await group.waitForAll()
        }
        await context.informers.shutDown()
    }
}

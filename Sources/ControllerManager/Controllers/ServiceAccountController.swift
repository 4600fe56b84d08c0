import APIMachinery
import Client

/// Keeps a `default` ServiceAccount in every active namespace, creating it when a namespace appears
/// and again when it is deleted (kube-controller-manager's serviceaccount controller).
public final class ServiceAccountController: Controller, Sendable {
    public static let name = "serviceaccount"
    /// The accounts every namespace gets.
    public static let accountNames = ["default"]

    let context: ControllerContext
    let namespaces: SharedInformer
    let serviceAccounts: SharedInformer
    let queue = WorkQueue<String>()

    public init(context: ControllerContext) {
        self.context = context
        namespaces = context.informers.informer(for: .namespaces)
        serviceAccounts = context.informers.informer(for: .serviceAccounts)
    }

    public func run(workers: Int) async {
        let queue = self.queue
        namespaces.addHandler(ResourceEventHandler(
            onAdd: { namespace in await queue.add(namespace.name) },
            onUpdate: { _, namespace in await queue.add(namespace.name) }))
        serviceAccounts.addHandler(ResourceEventHandler(
            onDelete: { account in
                if Self.accountNames.contains(account.name) { await queue.add(account.namespace) }
            }))
        guard await namespaces.waitForSync(), await serviceAccounts.waitForSync() else { return }
        await runWorkers(queue, count: workers, name: Self.name, logger: context.logger) { key in try await self.sync(key) }
    }

    /// Creates the missing accounts of namespace `name` if it is active.
    func sync(_ name: String) async throws {
        guard let namespace = namespaces.lister.get(name: name), namespace.deletionTimestamp == nil,
              (namespace["status"]?["phase"]?.stringValue ?? "Active") == "Active" else { return }
        for account in Self.accountNames where serviceAccounts.lister.get(namespace: name, name: account) == nil {
            let object: JSONValue = ["apiVersion": "v1", "kind": "ServiceAccount",
                                     "metadata": ["name": .string(account), "namespace": .string(name)]]
            do {
                _ = try await context.client.create(.serviceAccounts, namespace: name, object: object)
            } catch {
                // AlreadyExists: created meanwhile (or the informer is behind); 403/404: the namespace
                // is terminating or gone. Nothing to do then.
                if !(error.isAlreadyExists || error.code == 403 || error.code == 404) { throw error }
            }
        }
    }
}

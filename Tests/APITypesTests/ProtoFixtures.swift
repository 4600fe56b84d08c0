/// Real request bodies captured from kubectl v1.32.4 (built-in of the dispatcher) against a fake server,
/// `Content-Type: application/vnd.kubernetes.protobuf`. Hex of the complete body, magic included.
enum ProtoFixtures {
    /// `kubectl create namespace ns1` → POST /api/v1/namespaces
    static let namespace = bytes(
        "6b3873000a0f0a02763112094e616d657370616365121b0a130a036e733112001a0022002a0032003800420012001a02" +
        "0a001a002200")
    /// `kubectl create configmap c1 --from-literal=a=1 --from-literal=b=2` → POST /api/v1/namespaces/default/configmaps
    static let configMap = bytes(
        "6b3873000a0f0a0276311209436f6e6669674d617012240a120a02633112001a0022002a0032003800420012060a0161" +
        "12013112060a01621201321a002200")
    /// `kubectl create secret generic s1 --from-literal=p=x` → POST /api/v1/namespaces/default/secrets
    static let secret = bytes(
        "6b3873000a0c0a0276311206536563726574121e0a120a02733112001a0022002a0032003800420012060a0170120178" +
        "1a001a002200")
    /// `kubectl create deployment d1 --image=nginx --replicas=2 --port=80` → POST /apis/apps/v1/namespaces/default/deployments
    static let deployment = bytes(
        "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412b4010a1d0a02643112001a0022002a0032003800" +
        "42005a090a03617070120264311284010802120b0a090a03617070120264311a6b0a1b0a0012001a0022002a00320038" +
        "0042005a090a0361707012026431124c122e0a056e67696e7812056e67696e782a00320a0a001000185022002a004200" +
        "6a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00" +
        "280038001a0c0800100018002000280038001a002200")
    /// `kubectl create service clusterip s1 --tcp=80:8080` → POST /api/v1/namespaces/default/services
    static let service = bytes(
        "6b3873000a0d0a02763112075365727669636512660a1d0a02733112001a0022002a003200380042005a090a03617070" +
        "1202733112410a1b0a0738302d38303830120354435018502207080010903f1a00280012090a03617070120273311a00" +
        "2209436c757374657249503a00420052005a00600068001a020a001a002200")
    /// `kubectl create job j1 --image=busybox` → POST /apis/batch/v1/namespaces/default/jobs
    static let job = bytes(
        "6b3873000a0f0a0862617463682f763112034a6f62127a0a120a026a3112001a0022002a00320038004200125a32580a" +
        "100a0012001a0022002a00320038004200124412210a026a31120762757379626f782a0042006a007200800100880100" +
        "900100a201001a054e65766572320042004a0052005800600068008201008a01009a0100c201001a082000280030003a" +
        "001a002200")
    /// `kubectl create cronjob cj1 --image=busybox --schedule="*/1 * * * *"` → POST /apis/batch/v1/namespaces/default/cronjobs
    static let cronJob = bytes(
        "6b3873000a130a0862617463682f7631120743726f6e4a6f6212a1010a130a03636a3112001a0022002a003200380042" +
        "001287010a0b2a2f31202a202a202a202a1a002a760a130a03636a3112001a0022002a00320038004200125f325d0a10" +
        "0a0012001a0022002a00320038004200124912220a03636a31120762757379626f782a0042006a007200800100880100" +
        "900100a201001a094f6e4661696c757265320042004a0052005800600068008201008a01009a0100c201001a001a0022" +
        "00")
    /// `kubectl create serviceaccount sa1` → POST /api/v1/namespaces/default/serviceaccounts
    static let serviceAccount = bytes(
        "6b3873000a140a027631120e536572766963654163636f756e7412150a130a0373613112001a0022002a003200380042" +
        "001a002200")
    /// `kubectl create role r1 --verb=get,list --resource=pods` → POST /apis/rbac.authorization.k8s.io/v1/namespaces/default/roles
    static let role = bytes(
        "6b3873000a240a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f76311204526f6c6512290a120a02" +
        "723112001a0022002a0032003800420012130a036765740a046c69737412001a04706f64731a002200")
    /// `kubectl create rolebinding rb1 --role=r1 --user=alice` → POST /apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings
    static let roleBinding = bytes(
        "6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b526f6c6542696e64696e" +
        "6712680a130a0372623112001a0022002a00320038004200122a0a04557365721219726261632e617574686f72697a61" +
        "74696f6e2e6b38732e696f1a05616c69636522001a250a19726261632e617574686f72697a6174696f6e2e6b38732e69" +
        "6f1204526f6c651a0272311a002200")
    /// `kubectl auth can-i get pods` → POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews
    static let selfSubjectAccessReview = bytes(
        "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a65637441636365" +
        "7373526576696577123c0a100a0012001a0022002a00320038004200121e0a1c0a0764656661756c7412036765741a00" +
        "22002a04706f647332003a001a08080012001a0020001a002200")
    /// `kubectl create token sa1 --duration=1h` → POST /api/v1/namespaces/default/serviceaccounts/sa1/token
    static let tokenRequest = bytes(
        "6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e52657175657374121d" +
        "0a100a0012001a0022002a00320038004200120320901c1a040a0012001a002200")

    static let all: [(String, [UInt8])] = [
        ("namespace", namespace),
        ("configMap", configMap),
        ("secret", secret),
        ("deployment", deployment),
        ("service", service),
        ("job", job),
        ("cronJob", cronJob),
        ("serviceAccount", serviceAccount),
        ("role", role),
        ("roleBinding", roleBinding),
        ("selfSubjectAccessReview", selfSubjectAccessReview),
        ("tokenRequest", tokenRequest),
    ]

    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var chars = hex.utf8.makeIterator()
        while let hi = chars.next(), let lo = chars.next() {
            out.append(UInt8(nibble(hi) << 4 | nibble(lo)))
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return 0
        }
    }
}

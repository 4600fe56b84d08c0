import APIMachinery

/// autoscaling/v1 HorizontalPodAutoscaler over the stored autoscaling/v2 objects, as Kubernetes
/// converts them: a cpu Utilization metric is spec.targetCPUUtilizationPercentage; the other metrics,
/// the behavior, the current metrics and the conditions travel in `autoscaling.alpha.kubernetes.io/*`
/// annotations so that a round trip through v1 keeps them.
public struct HorizontalPodAutoscalerV1Converter: ObjectConverter {
    public init() {}

    public static let metricsAnnotation = "autoscaling.alpha.kubernetes.io/metrics"
    public static let currentMetricsAnnotation = "autoscaling.alpha.kubernetes.io/current-metrics"
    public static let conditionsAnnotation = "autoscaling.alpha.kubernetes.io/conditions"
    public static let behaviorAnnotation = "autoscaling.alpha.kubernetes.io/behavior"
    static let roundTripAnnotations = [metricsAnnotation, currentMetricsAnnotation, conditionsAnnotation, behaviorAnnotation]

    static func isCPUUtilization(_ metric: JSONValue) -> Bool {
        metric["type"]?.stringValue == "Resource" && metric["resource"]?["name"]?.stringValue == "cpu"
            && metric["resource"]?["target"]?["averageUtilization"]?.intValue != nil
    }

    // MARK: v2 (stored) → v1

    public func fromStorage(_ stored: JSONValue) -> JSONValue {
        var out: JSONValue = .object([:])
        out["metadata"] = stored["metadata"]
        var annotations = stored.annotations
        for key in Self.roundTripAnnotations { annotations[key] = nil }
        let spec = stored["spec"] ?? .object([:])
        var outSpec: JSONValue = .object([:])
        outSpec["scaleTargetRef"] = spec["scaleTargetRef"]
        outSpec["minReplicas"] = spec["minReplicas"]
        outSpec["maxReplicas"] = spec["maxReplicas"] ?? 0
        let metrics = spec["metrics"]?.arrayValue ?? []
        if let cpu = metrics.first(where: Self.isCPUUtilization) {
            outSpec["targetCPUUtilizationPercentage"] = cpu["resource"]?["target"]?["averageUtilization"]
        }
        let others = metrics.filter { !Self.isCPUUtilization($0) }.map(Self.v1MetricSpec)
        if !others.isEmpty { annotations[Self.metricsAnnotation] = AnnotationJSON.encode(.array(others)) }
        if let behavior = spec["behavior"], !behavior.isNull {
            annotations[Self.behaviorAnnotation] = AnnotationJSON.encode(behavior)
        }
        out["spec"] = outSpec

        let status = stored["status"] ?? .object([:])
        var outStatus: JSONValue = .object([:])
        outStatus["observedGeneration"] = status["observedGeneration"]
        outStatus["lastScaleTime"] = status["lastScaleTime"]
        outStatus["currentReplicas"] = status["currentReplicas"] ?? 0
        outStatus["desiredReplicas"] = status["desiredReplicas"] ?? 0
        let current = status["currentMetrics"]?.arrayValue ?? []
        if let cpu = current.first(where: {
            $0["type"]?.stringValue == "Resource" && $0["resource"]?["name"]?.stringValue == "cpu"
                && $0["resource"]?["current"]?["averageUtilization"]?.intValue != nil
        }) {
            outStatus["currentCPUUtilizationPercentage"] = cpu["resource"]?["current"]?["averageUtilization"]
        }
        if !current.isEmpty {
            annotations[Self.currentMetricsAnnotation] = AnnotationJSON.encode(.array(current.map(Self.v1MetricStatus)))
        }
        if let conditions = status["conditions"]?.arrayValue, !conditions.isEmpty {
            annotations[Self.conditionsAnnotation] = AnnotationJSON.encode(.array(conditions))
        }
        out["status"] = outStatus
        out.annotations = annotations
        return out
    }

    static func v1MetricSpec(_ metric: JSONValue) -> JSONValue {
        var out: JSONValue = ["type": metric["type"] ?? ""]
        if let s = metric["object"], !s.isNull {
            var o: JSONValue = ["target": s["describedObject"] ?? .object([:]), "metricName": s["metric"]?["name"] ?? "",
                                "targetValue": s["target"]?["value"] ?? "0"]
            o["selector"] = s["metric"]?["selector"]
            o["averageValue"] = s["target"]?["averageValue"]
            out["object"] = o
        }
        if let s = metric["pods"], !s.isNull {
            var o: JSONValue = ["metricName": s["metric"]?["name"] ?? "", "targetAverageValue": s["target"]?["averageValue"] ?? "0"]
            o["selector"] = s["metric"]?["selector"]
            out["pods"] = o
        }
        for key in ["resource", "containerResource"] {
            guard let s = metric[key], !s.isNull else { continue }
            var o: JSONValue = ["name": s["name"] ?? ""]
            o["targetAverageUtilization"] = s["target"]?["averageUtilization"]
            o["targetAverageValue"] = s["target"]?["averageValue"]
            if key == "containerResource" { o["container"] = s["container"] ?? "" }
            out[key] = o
        }
        if let s = metric["external"], !s.isNull {
            var o: JSONValue = ["metricName": s["metric"]?["name"] ?? ""]
            o["metricSelector"] = s["metric"]?["selector"]
            o["targetValue"] = s["target"]?["value"]
            o["targetAverageValue"] = s["target"]?["averageValue"]
            out["external"] = o
        }
        return out
    }

    static func v1MetricStatus(_ metric: JSONValue) -> JSONValue {
        var out: JSONValue = ["type": metric["type"] ?? ""]
        if let s = metric["object"], !s.isNull {
            var o: JSONValue = ["target": s["describedObject"] ?? .object([:]), "metricName": s["metric"]?["name"] ?? "",
                                "currentValue": s["current"]?["value"] ?? "0"]
            o["selector"] = s["metric"]?["selector"]
            o["averageValue"] = s["current"]?["averageValue"]
            out["object"] = o
        }
        if let s = metric["pods"], !s.isNull {
            var o: JSONValue = ["metricName": s["metric"]?["name"] ?? "", "currentAverageValue": s["current"]?["averageValue"] ?? "0"]
            o["selector"] = s["metric"]?["selector"]
            out["pods"] = o
        }
        for key in ["resource", "containerResource"] {
            guard let s = metric[key], !s.isNull else { continue }
            var o: JSONValue = ["name": s["name"] ?? "", "currentAverageValue": s["current"]?["averageValue"] ?? "0"]
            o["currentAverageUtilization"] = s["current"]?["averageUtilization"]
            if key == "containerResource" { o["container"] = s["container"] ?? "" }
            out[key] = o
        }
        if let s = metric["external"], !s.isNull {
            var o: JSONValue = ["metricName": s["metric"]?["name"] ?? "", "currentValue": s["current"]?["value"] ?? "0"]
            o["metricSelector"] = s["metric"]?["selector"]
            o["currentAverageValue"] = s["current"]?["averageValue"]
            out["external"] = o
        }
        return out
    }

    // MARK: v1 → v2 (stored)

    public func toStorage(_ object: JSONValue) -> JSONValue {
        var out: JSONValue = .object([:])
        out["metadata"] = object["metadata"]
        var annotations = object.annotations
        let spec = object["spec"] ?? .object([:])
        var outSpec: JSONValue = .object([:])
        outSpec["scaleTargetRef"] = spec["scaleTargetRef"]
        outSpec["minReplicas"] = spec["minReplicas"]
        outSpec["maxReplicas"] = spec["maxReplicas"]
        var metrics: [JSONValue] = []
        if let text = annotations[Self.metricsAnnotation], let others = AnnotationJSON.decode(text)?.arrayValue {
            metrics = others.map(Self.v2MetricSpec)
        }
        if let cpu = spec["targetCPUUtilizationPercentage"], !cpu.isNull {
            metrics.append(["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": cpu]]])
        }
        if metrics.isEmpty { metrics = [HorizontalPodAutoscalerStrategy.defaultCPUMetric] }
        outSpec["metrics"] = .array(metrics)
        if let text = annotations[Self.behaviorAnnotation], let behavior = AnnotationJSON.decode(text), behavior.objectValue != nil {
            outSpec["behavior"] = behavior
        }
        out["spec"] = outSpec

        if let status = object["status"], status.objectValue != nil {
            var outStatus: JSONValue = .object([:])
            outStatus["observedGeneration"] = status["observedGeneration"]
            outStatus["lastScaleTime"] = status["lastScaleTime"]
            if let n = status["currentReplicas"]?.intValue, n != 0 { outStatus["currentReplicas"] = .int(n) }
            outStatus["desiredReplicas"] = status["desiredReplicas"] ?? 0
            outStatus["currentMetrics"] = .null
            if let cpu = status["currentCPUUtilizationPercentage"], !cpu.isNull {
                outStatus["currentMetrics"] = [["type": "Resource", "resource": ["name": "cpu", "current": ["averageUtilization": cpu]]]]
            }
            if let text = annotations[Self.currentMetricsAnnotation], let current = AnnotationJSON.decode(text)?.arrayValue {
                outStatus["currentMetrics"] = .array(current.map(Self.v2MetricStatus))
            }
            if let text = annotations[Self.conditionsAnnotation], let conditions = AnnotationJSON.decode(text)?.arrayValue {
                outStatus["conditions"] = .array(conditions)
            }
            out["status"] = outStatus
        }
        for key in Self.roundTripAnnotations { annotations[key] = nil }
        out.annotations = annotations
        return out
    }

    static func v2MetricSpec(_ metric: JSONValue) -> JSONValue {
        var out: JSONValue = ["type": metric["type"] ?? ""]
        if let s = metric["object"], !s.isNull {
            var m: JSONValue = ["name": s["metricName"] ?? ""]
            m["selector"] = s["selector"]
            var t: JSONValue = ["type": s["averageValue"] == nil ? "Value" : "AverageValue", "value": s["targetValue"] ?? "0"]
            t["averageValue"] = s["averageValue"]
            out["object"] = ["describedObject": s["target"] ?? .object([:]), "metric": m, "target": t]
        }
        if let s = metric["pods"], !s.isNull {
            var m: JSONValue = ["name": s["metricName"] ?? ""]
            m["selector"] = s["selector"]
            out["pods"] = ["metric": m, "target": ["type": "AverageValue", "averageValue": s["targetAverageValue"] ?? "0"]]
        }
        for key in ["resource", "containerResource"] {
            guard let s = metric[key], !s.isNull else { continue }
            var t: JSONValue
            if let u = s["targetAverageUtilization"], !u.isNull {
                t = ["type": "Utilization", "averageUtilization": u]
            } else {
                t = ["type": "AverageValue"]
                t["averageValue"] = s["targetAverageValue"]
            }
            var o: JSONValue = ["name": s["name"] ?? "", "target": t]
            if key == "containerResource" { o["container"] = s["container"] ?? "" }
            out[key] = o
        }
        if let s = metric["external"], !s.isNull {
            var m: JSONValue = ["name": s["metricName"] ?? ""]
            m["selector"] = s["metricSelector"]
            var t: JSONValue = ["type": s["targetValue"] != nil ? "Value" : "AverageValue"]
            t["value"] = s["targetValue"]
            t["averageValue"] = s["targetAverageValue"]
            out["external"] = ["metric": m, "target": t]
        }
        return out
    }

    static func v2MetricStatus(_ metric: JSONValue) -> JSONValue {
        var out: JSONValue = ["type": metric["type"] ?? ""]
        if let s = metric["object"], !s.isNull {
            var m: JSONValue = ["name": s["metricName"] ?? ""]
            m["selector"] = s["selector"]
            var c: JSONValue = ["value": s["currentValue"] ?? "0"]
            c["averageValue"] = s["averageValue"]
            out["object"] = ["describedObject": s["target"] ?? .object([:]), "metric": m, "current": c]
        }
        if let s = metric["pods"], !s.isNull {
            var m: JSONValue = ["name": s["metricName"] ?? ""]
            m["selector"] = s["selector"]
            out["pods"] = ["metric": m, "current": ["averageValue": s["currentAverageValue"] ?? "0"]]
        }
        for key in ["resource", "containerResource"] {
            guard let s = metric[key], !s.isNull else { continue }
            var c: JSONValue = ["averageValue": s["currentAverageValue"] ?? "0"]
            c["averageUtilization"] = s["currentAverageUtilization"]
            var o: JSONValue = ["name": s["name"] ?? "", "current": c]
            if key == "containerResource" { o["container"] = s["container"] ?? "" }
            out[key] = o
        }
        if let s = metric["external"], !s.isNull {
            var m: JSONValue = ["name": s["metricName"] ?? ""]
            m["selector"] = s["metricSelector"]
            var c: JSONValue = ["value": s["currentValue"] ?? "0"]
            c["averageValue"] = s["currentAverageValue"]
            out["external"] = ["metric": m, "current": c]
        }
        return out
    }
}

/// autoscaling/v1 HorizontalPodAutoscaler: minReplicas 1 by default; defaults, validation and printing
/// are those of the stored v2 form, so that both versions accept and show the same objects.
public struct HorizontalPodAutoscalerV1Strategy: ResourceStrategy {
    public init() {}
    let v2 = HorizontalPodAutoscalerStrategy()
    let converter = HorizontalPodAutoscalerV1Converter()
    public var hasStatusSubresource: Bool { true }

    public func prepareForCreate(_ object: inout JSONValue) {
        object.setDefault(["spec", "minReplicas"], 1)
        var stored = converter.toStorage(object)
        v2.prepareForCreate(&stored)
        replace(&object, withServedFormOf: stored)
    }

    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        object.setDefault(["spec", "minReplicas"], 1)
        var stored = converter.toStorage(object)
        v2.prepareForUpdate(&stored, old: converter.toStorage(old))
        replace(&object, withServedFormOf: stored)
    }

    /// The object as it reads back from storage: defaulted in the stored form, with its type meta.
    func replace(_ object: inout JSONValue, withServedFormOf stored: JSONValue) {
        let apiVersion = object["apiVersion"], kind = object["kind"]
        object = converter.fromStorage(stored)
        object["apiVersion"] = apiVersion
        object["kind"] = kind
    }

    public func validate(_ object: JSONValue) -> [FieldError] {
        // Errors name the fields of the stored form, as Kubernetes validates its internal form.
        v2.validate(converter.toStorage(object))
    }

    public func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        v2.validateUpdate(converter.toStorage(object), old: converter.toStorage(old))
    }

    public var tableColumns: [TableColumn] { v2.tableColumns }

    public func tableCells(_ object: JSONValue, now: Double) -> [JSONValue] {
        v2.tableCells(converter.toStorage(object), now: now)
    }
}

/// JSON text inside annotations, with object members in the order Kubernetes' encoder writes them.
enum AnnotationJSON {
    static let order = [
        "type", "object", "pods", "resource", "containerResource", "external",
        "target", "describedObject", "kind", "name", "apiVersion", "metric", "metricName", "metricSelector",
        "targetValue", "currentValue", "targetAverageUtilization", "currentAverageUtilization",
        "targetAverageValue", "currentAverageValue", "selector", "averageValue", "container",
        "matchLabels", "matchExpressions", "key", "operator", "values",
        "status", "lastTransitionTime", "reason", "message",
        "scaleUp", "scaleDown", "stabilizationWindowSeconds", "selectPolicy", "policies", "value", "periodSeconds", "tolerance",
    ]
    static let rank: [String: Int] = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })

    static func encode(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        write(value, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { (rank[$0] ?? Int.max, $0) < (rank[$1] ?? Int.max, $1) }
            for (i, key) in keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(members[key] ?? .null, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        default:
            value.write(into: &out)
        }
    }

    static func decode(_ text: String) -> JSONValue? {
        try? JSONValue.parse(Array(text.utf8))
    }
}

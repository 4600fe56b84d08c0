/// Real-world manifests (as JSON, the way kubectl sends them) exercising many fields each.
enum Fixtures {
    static let pod = #"""
    {
      "apiVersion": "v1",
      "kind": "Pod",
      "metadata": {
        "name": "web-0",
        "namespace": "shop",
        "uid": "0b5f3c9e-1111-4a3c-9d7e-2f1e0a6b7c8d",
        "resourceVersion": "12345",
        "generation": 3,
        "creationTimestamp": "2024-05-01T10:00:00Z",
        "deletionGracePeriodSeconds": 30,
        "labels": {"app": "web", "tier": "frontend"},
        "annotations": {"prometheus.io/scrape": "true"},
        "finalizers": ["example.com/cleanup"],
        "ownerReferences": [
          {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web",
           "uid": "9a8b7c6d-2222-4e5f-8a9b-0c1d2e3f4a5b", "controller": true, "blockOwnerDeletion": true}
        ],
        "managedFields": [
          {"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "v1",
           "time": "2024-05-01T10:00:00Z", "fieldsType": "FieldsV1",
           "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                        "f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}}}}}}
        ]
      },
      "spec": {
        "serviceAccountName": "web",
        "automountServiceAccountToken": false,
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 45,
        "activeDeadlineSeconds": 3600,
        "dnsPolicy": "ClusterFirst",
        "dnsConfig": {"nameservers": ["1.1.1.1"], "searches": ["shop.svc.cluster.local"],
                      "options": [{"name": "ndots", "value": "2"}]},
        "hostAliases": [{"ip": "10.0.0.1", "hostnames": ["db.local"]}],
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "priorityClassName": "high",
        "priority": 1000,
        "schedulerName": "default-scheduler",
        "enableServiceLinks": true,
        "shareProcessNamespace": false,
        "overhead": {"cpu": "250m", "memory": "120Mi"},
        "readinessGates": [{"conditionType": "example.com/ready"}],
        "imagePullSecrets": [{"name": "registry"}],
        "securityContext": {
          "runAsUser": 1000, "runAsGroup": 3000, "fsGroup": 2000, "runAsNonRoot": true,
          "fsGroupChangePolicy": "OnRootMismatch", "supplementalGroups": [4000, 5000],
          "seccompProfile": {"type": "RuntimeDefault"},
          "sysctls": [{"name": "net.core.somaxconn", "value": "1024"}],
          "seLinuxOptions": {"level": "s0:c123,c456"}
        },
        "affinity": {
          "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
              "nodeSelectorTerms": [
                {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["a", "b"]}],
                 "matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["node-9"]}]}
              ]
            },
            "preferredDuringSchedulingIgnoredDuringExecution": [
              {"weight": 10, "preference": {"matchExpressions": [{"key": "disk", "operator": "Exists"}]}}
            ]
          },
          "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
              {"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": "kubernetes.io/hostname",
               "namespaces": ["shop"], "matchLabelKeys": ["pod-template-hash"]}
            ]
          },
          "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
              {"weight": 100, "podAffinityTerm": {
                "labelSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]},
                "namespaceSelector": {},
                "topologyKey": "kubernetes.io/hostname"}}
            ]
          }
        },
        "tolerations": [
          {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
          {"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}
        ],
        "topologySpreadConstraints": [
          {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
           "labelSelector": {"matchLabels": {"app": "web"}}, "minDomains": 2, "nodeAffinityPolicy": "Honor"}
        ],
        "initContainers": [
          {"name": "init", "image": "busybox:1.36", "command": ["sh", "-c"], "args": ["echo hi"],
           "restartPolicy": "Always",
           "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": false, "mountPropagation": "None"}]}
        ],
        "containers": [
          {
            "name": "web",
            "image": "nginx:1.27",
            "imagePullPolicy": "IfNotPresent",
            "workingDir": "/srv",
            "ports": [
              {"name": "http", "containerPort": 8080, "protocol": "TCP"},
              {"name": "metrics", "containerPort": 9090, "hostPort": 19090, "hostIP": "0.0.0.0"}
            ],
            "env": [
              {"name": "MODE", "value": "prod"},
              {"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}},
              {"name": "CPU_LIMIT", "valueFrom": {"resourceFieldRef": {"containerName": "web", "resource": "limits.cpu", "divisor": "1m"}}},
              {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password", "optional": true}}},
              {"name": "COLOR", "valueFrom": {"configMapKeyRef": {"name": "ui", "key": "color"}}}
            ],
            "envFrom": [{"prefix": "CFG_", "configMapRef": {"name": "web-config"}}, {"secretRef": {"name": "web-secret"}}],
            "resources": {
              "requests": {"cpu": "500m", "memory": "256Mi", "ephemeral-storage": "1Gi"},
              "limits": {"cpu": "2", "memory": "1Gi", "nvidia.com/gpu": "1"}
            },
            "livenessProbe": {
              "httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP",
                          "httpHeaders": [{"name": "X-Probe", "value": "liveness"}]},
              "initialDelaySeconds": 10, "periodSeconds": 5, "timeoutSeconds": 2,
              "failureThreshold": 3, "successThreshold": 1, "terminationGracePeriodSeconds": 20
            },
            "readinessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 3},
            "startupProbe": {"exec": {"command": ["cat", "/tmp/ready"]}, "failureThreshold": 30},
            "lifecycle": {
              "postStart": {"exec": {"command": ["/bin/warm"]}},
              "preStop": {"sleep": {"seconds": 5}}
            },
            "securityContext": {
              "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "privileged": false,
              "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
              "seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/web.json"},
              "procMount": "Default"
            },
            "volumeMounts": [
              {"name": "data", "mountPath": "/data", "subPath": "web"},
              {"name": "config", "mountPath": "/etc/web", "readOnly": true},
              {"name": "token", "mountPath": "/var/run/secrets/tokens"}
            ],
            "volumeDevices": [{"name": "raw", "devicePath": "/dev/xvda"}],
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "FallbackToLogsOnError",
            "stdin": false,
            "tty": false
          }
        ],
        "volumes": [
          {"name": "data", "persistentVolumeClaim": {"claimName": "web-data", "readOnly": false}},
          {"name": "config", "configMap": {"name": "web-config", "defaultMode": 420, "optional": false,
                                             "items": [{"key": "nginx.conf", "path": "nginx.conf", "mode": 256}]}},
          {"name": "secret", "secret": {"secretName": "web-secret", "defaultMode": 256}},
          {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
          {"name": "host", "hostPath": {"path": "/var/log", "type": "Directory"}},
          {"name": "token", "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"audience": "vault", "expirationSeconds": 3600, "path": "vault-token"}},
            {"downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
            {"configMap": {"name": "ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}
          ]}},
          {"name": "scratch", "ephemeral": {"volumeClaimTemplate": {
            "metadata": {"labels": {"type": "scratch"}},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast",
                     "resources": {"requests": {"storage": "10Gi"}}}}}},
          {"name": "raw", "csi": {"driver": "csi.example.com", "volumeAttributes": {"size": "small"}}}
        ]
      },
      "status": {
        "phase": "Running",
        "hostIP": "10.0.0.5",
        "hostIPs": [{"ip": "10.0.0.5"}],
        "podIP": "10.244.1.7",
        "podIPs": [{"ip": "10.244.1.7"}, {"ip": "fd00::7"}],
        "qosClass": "Burstable",
        "startTime": "2024-05-01T10:00:01Z",
        "conditions": [
          {"type": "Ready", "status": "True", "lastTransitionTime": "2024-05-01T10:00:09Z"}
        ],
        "containerStatuses": [
          {"name": "web", "ready": true, "started": true, "restartCount": 2, "image": "nginx:1.27",
           "imageID": "docker.io/library/nginx@sha256:abc", "containerID": "containerd://123",
           "state": {"running": {"startedAt": "2024-05-01T10:00:05Z"}},
           "lastState": {"terminated": {"exitCode": 137, "signal": 9, "reason": "OOMKilled",
                                         "startedAt": "2024-05-01T09:00:00Z", "finishedAt": "2024-05-01T09:59:00Z"}},
           "allocatedResources": {"cpu": "500m"}}
        ]
      }
    }
    """#

    static let deployment = #"""
    {
      "apiVersion": "apps/v1",
      "kind": "Deployment",
      "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"},
                   "annotations": {"deployment.kubernetes.io/revision": "4"}},
      "spec": {
        "replicas": 3,
        "revisionHistoryLimit": 5,
        "progressDeadlineSeconds": 600,
        "minReadySeconds": 10,
        "paused": false,
        "selector": {
          "matchLabels": {"app": "web"},
          "matchExpressions": [{"key": "track", "operator": "NotIn", "values": ["canary"]}]
        },
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
        "template": {
          "metadata": {"labels": {"app": "web"}, "annotations": {"kubectl.kubernetes.io/restartedAt": "2024-05-01T10:00:00Z"}},
          "spec": {
            "containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}],
                            "resources": {"limits": {"cpu": "1", "memory": "512Mi"}}}]
          }
        }
      },
      "status": {
        "observedGeneration": 7, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3,
        "availableReplicas": 3, "unavailableReplicas": 0, "collisionCount": 1,
        "conditions": [
          {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
           "message": "Deployment has minimum availability.",
           "lastUpdateTime": "2024-05-01T10:00:00Z", "lastTransitionTime": "2024-05-01T10:00:00Z"}
        ]
      }
    }
    """#

    static let service = #"""
    {
      "apiVersion": "v1",
      "kind": "Service",
      "metadata": {"name": "web", "namespace": "shop"},
      "spec": {
        "type": "LoadBalancer",
        "selector": {"app": "web"},
        "clusterIP": "10.96.0.15",
        "clusterIPs": ["10.96.0.15", "fd00:10:96::f"],
        "ipFamilies": ["IPv4", "IPv6"],
        "ipFamilyPolicy": "PreferDualStack",
        "ports": [
          {"name": "http", "protocol": "TCP", "port": 80, "targetPort": "http", "nodePort": 30080},
          {"name": "https", "protocol": "TCP", "port": 443, "targetPort": 8443, "appProtocol": "https"}
        ],
        "sessionAffinity": "ClientIP",
        "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},
        "externalTrafficPolicy": "Local",
        "internalTrafficPolicy": "Cluster",
        "healthCheckNodePort": 32000,
        "loadBalancerSourceRanges": ["10.0.0.0/8"],
        "allocateLoadBalancerNodePorts": true,
        "publishNotReadyAddresses": false,
        "trafficDistribution": "PreferClose"
      },
      "status": {
        "loadBalancer": {"ingress": [{"ip": "203.0.113.10", "ipMode": "VIP",
                                      "ports": [{"port": 80, "protocol": "TCP"}]}]},
        "conditions": [{"type": "Ready", "status": "True", "reason": "Ok", "message": "",
                        "lastTransitionTime": "2024-05-01T10:00:00Z", "observedGeneration": 1}]
      }
    }
    """#

    static let cronJob = #"""
    {
      "apiVersion": "batch/v1",
      "kind": "CronJob",
      "metadata": {"name": "report", "namespace": "ops"},
      "spec": {
        "schedule": "*/15 * * * *",
        "timeZone": "Etc/UTC",
        "concurrencyPolicy": "Forbid",
        "startingDeadlineSeconds": 120,
        "suspend": false,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 1,
        "jobTemplate": {
          "metadata": {"labels": {"job": "report"}},
          "spec": {
            "backoffLimit": 4,
            "activeDeadlineSeconds": 900,
            "ttlSecondsAfterFinished": 600,
            "completions": 1,
            "parallelism": 1,
            "completionMode": "NonIndexed",
            "podFailurePolicy": {"rules": [
              {"action": "FailJob", "onExitCodes": {"containerName": "report", "operator": "In", "values": [42]}},
              {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}
            ]},
            "template": {
              "spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "report", "image": "report:2", "args": ["--since", "15m"]}]
              }
            }
          }
        }
      },
      "status": {
        "active": [{"kind": "Job", "namespace": "ops", "name": "report-28571234", "uid": "u-1",
                    "apiVersion": "batch/v1", "resourceVersion": "99"}],
        "lastScheduleTime": "2024-05-01T10:15:00Z",
        "lastSuccessfulTime": "2024-05-01T10:00:30Z"
      }
    }
    """#

    static let hpa = #"""
    {
      "apiVersion": "autoscaling/v2",
      "kind": "HorizontalPodAutoscaler",
      "metadata": {"name": "web", "namespace": "shop"},
      "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 2,
        "maxReplicas": 20,
        "metrics": [
          {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}},
          {"type": "Pods", "pods": {"metric": {"name": "requests_per_second"},
                                    "target": {"type": "AverageValue", "averageValue": "1k"}}},
          {"type": "External", "external": {
            "metric": {"name": "queue_depth", "selector": {"matchLabels": {"queue": "jobs"}}},
            "target": {"type": "Value", "value": "30"}}},
          {"type": "ContainerResource", "containerResource": {"name": "memory", "container": "web",
            "target": {"type": "AverageValue", "averageValue": "500Mi"}}}
        ],
        "behavior": {
          "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                      "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15},
                                   {"type": "Pods", "value": 4, "periodSeconds": 15}]},
          "scaleDown": {"stabilizationWindowSeconds": 300,
                        "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60}]}
        }
      },
      "status": {
        "observedGeneration": 2,
        "lastScaleTime": "2024-05-01T10:00:00Z",
        "currentReplicas": 4,
        "desiredReplicas": 5,
        "currentMetrics": [
          {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 85, "averageValue": "425m"}}}
        ],
        "conditions": [{"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale",
                        "lastTransitionTime": "2024-05-01T10:00:00Z"}]
      }
    }
    """#

    static let crd = #"""
    {
      "apiVersion": "apiextensions.k8s.io/v1",
      "kind": "CustomResourceDefinition",
      "metadata": {"name": "widgets.example.com"},
      "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList",
                  "shortNames": ["wd"], "categories": ["all"]},
        "conversion": {"strategy": "None"},
        "preserveUnknownFields": false,
        "versions": [
          {
            "name": "v1",
            "served": true,
            "storage": true,
            "deprecated": false,
            "subresources": {
              "status": {},
              "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas",
                        "labelSelectorPath": ".status.selector"}
            },
            "additionalPrinterColumns": [
              {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas", "priority": 0},
              {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
            ],
            "selectableFields": [{"jsonPath": ".spec.color"}],
            "schema": {
              "openAPIV3Schema": {
                "type": "object",
                "description": "A widget.",
                "required": ["spec"],
                "x-kubernetes-validations": [{"rule": "self.spec.replicas <= 10", "message": "too many",
                                               "reason": "FieldValueInvalid", "fieldPath": ".spec.replicas"}],
                "properties": {
                  "apiVersion": {"type": "string"},
                  "kind": {"type": "string"},
                  "metadata": {"type": "object"},
                  "spec": {
                    "type": "object",
                    "properties": {
                      "replicas": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 10.5,
                                   "exclusiveMaximum": true, "default": 1, "multipleOf": 1},
                      "color": {"type": "string", "enum": ["red", "green", null], "nullable": true,
                                "pattern": "^[a-z]+$", "maxLength": 16, "minLength": 1},
                      "port": {"x-kubernetes-int-or-string": true,
                               "anyOf": [{"type": "integer"}, {"type": "string"}]},
                      "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                                   "x-kubernetes-preserve-unknown-fields": true},
                      "labels": {"type": "object", "additionalProperties": {"type": "string"},
                                 "x-kubernetes-map-type": "granular"},
                      "extra": {"type": "object", "additionalProperties": false, "maxProperties": 4, "minProperties": 0},
                      "tree": {
                        "type": "object",
                        "properties": {
                          "children": {"type": "array", "maxItems": 8, "minItems": 0, "uniqueItems": true,
                                       "items": {"type": "object", "properties": {
                                         "name": {"type": "string"},
                                         "leaf": {"type": "object", "properties": {"weight": {"type": "number"}}}
                                       }},
                                       "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}
                        },
                        "not": {"required": ["forbidden"], "not": {"properties": {"deep": {"type": "boolean"}}}},
                        "allOf": [{"required": ["children"]}],
                        "oneOf": [{"properties": {"a": {"type": "string"}}}],
                        "dependencies": {"a": ["b", "c"], "d": {"required": ["e"]}},
                        "patternProperties": {"^x-": {"type": "string"}}
                      },
                      "tuple": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}],
                                "additionalItems": {"type": "boolean"}},
                      "config": {"default": {"mode": "fast", "retries": 3, "ratio": 0.25, "tags": ["a"], "on": true},
                                 "example": "anything", "title": "Config",
                                 "externalDocs": {"url": "https://example.com", "description": "docs"},
                                 "x-kubernetes-preserve-unknown-fields": true}
                    }
                  },
                  "status": {"type": "object", "properties": {"replicas": {"type": "integer"}, "selector": {"type": "string"}}}
                }
              }
            }
          }
        ]
      },
      "status": {
        "acceptedNames": {"plural": "widgets", "kind": "Widget"},
        "storedVersions": ["v1"],
        "conditions": [{"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                        "message": "the initial names have been accepted",
                        "lastTransitionTime": "2024-05-01T10:00:00Z"}]
      }
    }
    """#
}

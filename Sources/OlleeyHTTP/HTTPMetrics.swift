import Foundation

/// Prometheus text (format 0.0.4): requests by method, route pattern and status, a latency
/// histogram by route, open connections, and gauges the application adds (jobs by status).
public final class HTTPMetrics: @unchecked Sendable {
    public static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct Key: Hashable { let method: String; let route: String; let status: Int }
    struct Histogram { var counts = [UInt64](repeating: 0, count: HTTPMetrics.buckets.count); var sum = 0.0; var count: UInt64 = 0 }

    let lock = NSLock()
    var requests: [Key: UInt64] = [:]
    var latency: [String: Histogram] = [:]
    var openConnections = 0
    var acceptedConnections: UInt64 = 0
    var gauges: [(name: String, help: String, values: @Sendable () -> [(labels: [(String, String)], value: Double)])] = []

    public init() {}

    public func observe(method: String, route: String, status: Int, nanos: UInt64) {
        let seconds = Double(nanos) / 1e9
        lock.lock()
        requests[Key(method: method, route: route, status: status), default: 0] += 1
        var h = latency[route] ?? Histogram()
        if let i = Self.buckets.firstIndex(where: { seconds <= $0 }) { h.counts[i] += 1 }
        h.sum += seconds
        h.count += 1
        latency[route] = h
        lock.unlock()
    }

    func connectionOpened() { lock.lock(); openConnections += 1; acceptedConnections += 1; lock.unlock() }
    func connectionClosed() { lock.lock(); openConnections -= 1; lock.unlock() }

    /// Connections open now.
    public var open: Int { lock.lock(); defer { lock.unlock() }; return openConnections }

    /// Adds a gauge family computed at each scrape (`olleey_jobs{status="queued"} 3`).
    public func addGauge(_ name: String, help: String, _ values: @escaping @Sendable () -> [(labels: [(String, String)], value: Double)]) {
        lock.lock(); gauges.append((name, help, values)); lock.unlock()
    }

    public func render() -> String {
        lock.lock()
        let req = requests, lat = latency, open = openConnections, accepted = acceptedConnections, gs = gauges
        lock.unlock()
        var out = "# HELP http_requests_total HTTP requests by method, route pattern and status.\n# TYPE http_requests_total counter\n"
        for (k, v) in req.sorted(by: { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }) {
            out += "http_requests_total{method=\"\(Self.escape(k.method))\",route=\"\(Self.escape(k.route))\",status=\"\(k.status)\"} \(v)\n"
        }
        out += "# HELP http_request_duration_seconds Time from a complete request head to the response, by route pattern.\n# TYPE http_request_duration_seconds histogram\n"
        for (route, h) in lat.sorted(by: { $0.key < $1.key }) {
            var cumulative: UInt64 = 0
            let r = Self.escape(route)
            for (i, b) in Self.buckets.enumerated() {
                cumulative += h.counts[i]
                out += "http_request_duration_seconds_bucket{route=\"\(r)\",le=\"\(b)\"} \(cumulative)\n"
            }
            out += "http_request_duration_seconds_bucket{route=\"\(r)\",le=\"+Inf\"} \(h.count)\n"
            out += "http_request_duration_seconds_sum{route=\"\(r)\"} \(h.sum)\n"
            out += "http_request_duration_seconds_count{route=\"\(r)\"} \(h.count)\n"
        }
        out += "# HELP http_open_connections Client connections open now.\n# TYPE http_open_connections gauge\nhttp_open_connections \(open)\n"
        out += "# HELP http_connections_total Client connections accepted.\n# TYPE http_connections_total counter\nhttp_connections_total \(accepted)\n"
        for g in gs {
            out += "# HELP \(g.name) \(g.help)\n# TYPE \(g.name) gauge\n"
            let vals = g.values()
            if vals.isEmpty { continue }
            for v in vals {
                let labels = v.labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",")
                let num = v.value == v.value.rounded() && abs(v.value) < 1e15 ? String(Int(v.value)) : String(v.value)
                out += labels.isEmpty ? "\(g.name) \(num)\n" : "\(g.name){\(labels)} \(num)\n"
            }
        }
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// An OpenAPI 3.1 document generated from a router's route table.
public enum OpenAPIDocument {
    /// `schemas`: component schemas by name (JSON Schema objects as Foundation values), referenced
    /// by routes' request and response schema names; a name with no schema gets `{"type": "object"}`.
    public static func generate(_ router: HTTPRouter, title: String, version: String, description: String = "",
                                schemas: [String: Any] = [:]) -> [UInt8] {
        var paths: [String: [String: Any]] = [:]
        var components: [String: Any] = [:]
        let errorSchema: [String: Any] = ["type": "object", "required": ["detail", "code"],
                                          "properties": ["detail": ["type": "string"], "code": ["type": "string"]]]
        components["Error"] = errorSchema
        for r in router.routes {
            var op: [String: Any] = [:]
            op["summary"] = r.summary.isEmpty ? "\(r.method) \(r.path)" : r.summary
            op["operationId"] = operationId(r)
            if !r.tags.isEmpty { op["tags"] = r.tags }
            let params: [[String: Any]] = r.parameterNames.map { ["name": $0, "in": "path", "required": true, "schema": ["type": "string"]] }
            if !params.isEmpty { op["parameters"] = params }
            if r.requiresAuth { op["security"] = [["bearerAuth": [String]()]] }
            if let rs = r.requestSchema {
                components[rs] = components[rs] ?? schemas[rs] ?? ["type": "object"]
                op["requestBody"] = ["required": true, "content": ["application/json": ["schema": ["$ref": "#/components/schemas/\(rs)"]]]]
            } else if case .streamed = r.body {
                op["requestBody"] = ["required": true, "content": ["application/octet-stream": ["schema": ["type": "string", "contentMediaType": "application/octet-stream"]]]]
            }
            var ok: [String: Any] = ["description": "success"]
            if let s = r.responseSchema {
                components[s] = components[s] ?? schemas[s] ?? ["type": "object"]
                ok["content"] = ["application/json": ["schema": ["$ref": "#/components/schemas/\(s)"]]]
            }
            let err: [String: Any] = ["description": "error", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]]
            // a POST or PUT that creates answers 201, one that acts (log in, approve, estimate) 200
            op["responses"] = r.method == "POST" || r.method == "PUT" ? ["200": ok, "201": ok, "default": err] : ["200": ok, "default": err]
            paths[r.openAPIPath, default: [:]][r.method.lowercased()] = op
        }
        let doc: [String: Any] = [
            "openapi": "3.1.0",
            "info": ["title": title, "version": version, "description": description],
            "paths": paths,
            "components": ["schemas": components,
                           "securitySchemes": ["bearerAuth": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT"]]],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return [UInt8](data)
    }

    static func operationId(_ r: HTTPRoute) -> String {
        let words = r.path.split(whereSeparator: { !$0.isLetter && !$0.isNumber })
        return r.method.lowercased() + words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}

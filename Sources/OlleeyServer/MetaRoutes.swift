import OlleeyHTTP
import OlleeyKit

/// `/health` and `/metrics`: no authentication.
enum MetaRoutes {
    static func register(_ router: HTTPRouter, metrics: HTTPMetrics) {
        var health = JSONWriter()
        health.object { o in o.field("status", "healthy"); o.field("version", OlleeyVersion.string) }
        let healthBody = health.bytes
        router.on("GET", "/health", summary: "liveness: status and version", tags: ["meta"], responseSchema: "Health", execution: .loop) { _, _ in
            .json(healthBody)
        }
        router.on("GET", "/metrics", summary: "Prometheus metrics", tags: ["meta"]) { _, _ in
            .text(metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }

    static var schemas: [String: Any] { [
        "Health": strictObject(["status": ["type": "string"], "version": ["type": "string"]]),
    ] }
}

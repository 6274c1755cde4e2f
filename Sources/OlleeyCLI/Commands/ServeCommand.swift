import Foundation
import OlleeyHTTP
import OlleeyKit
import OlleeyServer

/// olleey serve: the HTTP server (health, metrics, OpenAPI, accounts) with the job worker hosted
/// in-process, until SIGTERM or SIGINT.
enum ServeCommand {
    static let spec: CommandSpec = CommandSpec(
        "serve", "run the HTTP server (and a job worker) until SIGTERM or SIGINT",
        discussion: "Serves the workspace over HTTP/1.1 on HOST:PORT (default 127.0.0.1:8000; --port 0 picks a free port). The first line on stderr is 'listening on http://HOST:PORT'; then one JSON line per request (method, path without its query string, route, status, bytes, duration in ms, request id). Routes so far: GET /health, GET /metrics (Prometheus text: requests by route and status, latency, open connections, jobs by status), GET /openapi.json (OpenAPI 3.1, generated from the route table), the accounts routes (/auth/register|login|google|me|refresh|logout|change-password with the refresh token in JSON; /api/v1/auth/login|refresh|logout|change-password|microsoft/* with it in an HttpOnly cookie; /api/v1/users/me, /api/v1/organizations, /api/v1/admin/users and /api/v1/admin/audit-log), rate limited per the ratelimit.* settings (read at start). With --workers N (default 1) the server also runs queued jobs, N units at once, as 'olleey worker --parallel N' does; --workers 0 leaves that to separate 'olleey worker' processes. SIGTERM or SIGINT stops it gracefully: no new connections, requests in flight finish, the worker leaves its units resumable, and it exits 0 after printing one line (with --json: url, stopped_by, workers). Limits: request head 32 KiB and 100 fields (431), JSON bodies 2 MiB (413), read timeout 10 s (408), idle keep-alive 60 s.",
        examples: ["olleey serve", "olleey serve --host 127.0.0.1 --port 0 --workers 0",
                   "olleey serve --port 8080 --cors-origin https://app.example.com 2>access.log"],
        options: [
            .option("host", "ADDR", "IPv4 address to listen on (default 127.0.0.1)"),
            .option("port", "PORT", "TCP port (default 8000; 0 picks a free one)", type: .int),
            .option("workers", "N", "job units the in-process worker runs at once (default 1; 0: no worker)", type: .int),
            .option("cors-origin", "ORIGIN", "allow browser requests from this origin (repeatable; * for any)", repeatable: true),
        ]
    ) { ctx in
        let host = ctx.args.string("host") ?? "127.0.0.1"
        let port = ctx.args.int("port") ?? 8000
        guard (0...65535).contains(port), ctx.args.string("port").map({ Int($0) != nil }) ?? true else {
            throw OlleeyError.usage("--port must be a number from 0 to 65535", hint: "0 picks a free port")
        }
        let workers = ctx.args.int("workers") ?? 1
        guard workers >= 0, ctx.args.string("workers").map({ Int($0) != nil }) ?? true else {
            throw OlleeyError.usage("--workers must be a number, 0 or more", hint: "0 runs no worker in the server")
        }
        var config = ServerConfiguration()
        config.host = host
        config.port = port
        let ws = try ctx.workspace()
        let db = try ctx.database()
        // the worker's settings are checked before anything listens
        let workerSettings = workers > 0 ? try JobRunner.settings(db, parallel: workers) : nil
        // the metrics' own connection: a scrape never waits on a handler's
        let metricsDB = try ws.open()
        let metricsLock = NSLock()
        let metrics = HTTPMetrics()
        metrics.addGauge("olleey_jobs", help: "Jobs by status.") {
            metricsLock.lock(); defer { metricsLock.unlock() }
            let counts = (try? JobStore(metricsDB).countByStatus()) ?? []
            return counts.map { (labels: [("status", $0.key)], value: Double($0.count)) }
        }
        let app = ServerApp(env: ServerEnvironment(workspace: ws, pool: try ws.pool()), metrics: metrics, corsOrigins: ctx.args.all("cors-origin"))
        let router = app.router()
        let server = HTTPServer(configuration: config, router: router, metrics: metrics)
        do { try server.start() } catch let e as HTTPServerError {
            throw OlleeyError(.unavailable, e.description, hint: "choose another port or address, or stop what listens there")
        }
        ctx.stderr.line("listening on http://\(host):\(server.port)")

        var runner: JobRunner?
        let finished = DispatchSemaphore(value: 0)
        if let (parallel, lease) = workerSettings {
            let err = ctx.stderr
            let quiet = ctx.quiet
            let r = JobRunner(workspace: ws, jobs: nil, parallel: parallel, leaseSeconds: lease, waitForWork: true,
                              environment: ctx.environment) { line in
                if !quiet { err.line(line) }
            }
            runner = r
            let t = Thread {
                do { _ = try r.run() } catch { err.line("worker: \(error)") }
                finished.signal()
            }
            t.name = "olleey-serve-worker"
            t.start()
        }
        let wsDir = ws.dir
        let hosted = runner
        let signals = StopSignals(atExit: { StageCache.removeTemporaries(under: wsDir, pid: getpid()) }) { sig in
            server.stop()
            hosted?.stop(reason: StopSignals.name(sig))
        }
        server.wait()
        if runner != nil { finished.wait() }
        let stoppedBy = signals.received.map(StopSignals.name) ?? "stop"
        signals.remove()
        HTTPLogSink.stderr.flush()
        let url = "http://\(host):\(server.port)"
        try ctx.emit(["url": .string(url), "stopped_by": .string(stoppedBy), "workers": .int(Int64(workers))]) {
            "stopped serving \(url) (\(stoppedBy))"
        }
        return 0
    }
}

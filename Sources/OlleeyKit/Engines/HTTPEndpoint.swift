import Foundation

/// An OpenAI-compatible server: base URL (`http://127.0.0.1:8080` or `.../v1`), API key,
/// timeout and retries (429 and 5xx are retried with back-off, honouring `Retry-After`).
public struct HTTPEndpoint: Sendable, Equatable {
    public var baseURL: String
    public var apiKey: String?
    public var timeout: Double
    public var retries: Int
    /// Seconds of the first back-off (doubles each retry).
    public var backoff: Double

    public init(baseURL: String, apiKey: String? = nil, timeout: Double = 120, retries: Int = 2, backoff: Double = 1) {
        self.baseURL = baseURL; self.apiKey = apiKey; self.timeout = timeout; self.retries = retries; self.backoff = backoff
    }

    public static func == (a: HTTPEndpoint, b: HTTPEndpoint) -> Bool {
        a.baseURL == b.baseURL && a.apiKey == b.apiKey && a.timeout == b.timeout && a.retries == b.retries
    }

    /// `{base}/v1/{path}` without doubling `/v1`.
    public func url(_ path: String) -> String {
        var b = baseURL
        while b.hasSuffix("/") { b.removeLast() }
        if !b.hasSuffix("/v1") { b += "/v1" }
        return b + "/" + path
    }

    /// The server, for cache keys (never the key itself).
    public var fingerprint: String {
        (try? HTTPURL(baseURL)).map { "\($0.scheme)://\($0.hostHeader)" } ?? baseURL
    }

    public func preflight(setting: String) throws {
        let u: HTTPURL
        do { u = try HTTPURL(baseURL) } catch {
            throw OlleeyError(.config, "\(setting): engines.http.base_url is not a valid URL: \(baseURL)")
        }
        guard u.scheme == "http" || u.scheme == "https" else {
            throw OlleeyError(.config, "\(setting): engines.http.base_url must be http:// or https:// (got \(baseURL))")
        }
    }

    var headers: [(String, String)] {
        var h: [(String, String)] = []
        if let k = apiKey, !k.isEmpty { h.append(("Authorization", "Bearer \(k)")) }
        return h
    }

    func client(_ cancel: CancelToken) -> HTTPClient {
        var c = HTTPClient(timeout: timeout)
        c.totalTimeout = timeout * 2
        c.cancel = cancel
        return c
    }

    public func postJSON(_ path: String, _ body: JSON, cancel: CancelToken, what: String) throws -> HTTPClientResponse {
        try send(what: what, cancel: cancel) { try client(cancel).postJSON(url(path), body, headers: headers) }
    }

    public func postMultipart(_ path: String, _ form: MultipartForm, cancel: CancelToken, what: String) throws -> HTTPClientResponse {
        try send(what: what, cancel: cancel) { try client(cancel).postMultipart(url(path), form, headers: headers) }
    }

    /// POSTs `body` to `url` as it is, not under `/v1` (`baseURL` is not used): a service that is
    /// not OpenAI-compatible, such as a diarizer. Retries as the others; the hints of a refusal
    /// name `setting`'s `.url` and `.api_key`.
    public func post(url: String, contentType: String, body: [UInt8], cancel: CancelToken, what: String, setting: String) throws -> HTTPClientResponse {
        try send(what: what, cancel: cancel, setting: setting) {
            try client(cancel).send(method: "POST", url: url, headers: headers + [("Content-Type", contentType)], body: body)
        }
    }

    /// `setting`: the engine setting of a service posted to by its whole URL (nil: an
    /// OpenAI-compatible server under `engines.http.base_url`).
    private func send(what: String, cancel: CancelToken, setting: String? = nil, _ attempt: () throws -> HTTPClientResponse) throws -> HTTPClientResponse {
        var tries = 0
        while true {
            tries += 1
            let r: HTTPClientResponse
            do { r = try attempt() } catch let e as OlleeyError where (e.code == .failure) && tries <= retries {
                // timeouts and broken connections: retry
                try pause(backoff * Double(1 << (tries - 1)), cancel: cancel)
                _ = e
                continue
            }
            if r.isSuccess { return r }
            if (r.status == 429 || r.status >= 500) && tries <= retries {
                let after = r.header("Retry-After").flatMap { Double($0) }.map { min($0, 30) }
                try pause(after ?? backoff * Double(1 << (tries - 1)), cancel: cancel)
                continue
            }
            let detail = HTTPEndpoint.errorDetail(r)
            if r.status == 401 || r.status == 403 {
                throw OlleeyError(.config, "\(what): the server refused the API key (HTTP \(r.status))\(detail)",
                                  hint: setting.map { "set \($0).api_key" } ?? "set engines.http.api_key (or OPENAI_API_KEY)")
            }
            if r.status == 404 {
                throw OlleeyError(.config, "\(what): \(r.url) not found (HTTP 404)\(detail)",
                                  hint: setting.map { "check \($0).url: the whole URL the service takes the audio at" }
                                      ?? "check engines.http.base_url: the server must speak the OpenAI API under /v1")
            }
            throw OlleeyError(r.status == 429 || r.status >= 500 ? .busy : .failure, "\(what) failed: HTTP \(r.status)\(detail)")
        }
    }

    private func pause(_ seconds: Double, cancel: CancelToken) throws {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            try cancel.check()
            Thread.sleep(forTimeInterval: min(0.05, max(0, end.timeIntervalSinceNow)))
        }
    }

    static func errorDetail(_ r: HTTPClientResponse) -> String {
        if let j = try? r.json(), let m = j["error"]?["message"]?.stringValue ?? j["error"]?.stringValue ?? j["detail"]?.stringValue {
            return ": " + String(m.prefix(300))
        }
        let t = r.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? "" : ": " + String(t.prefix(200))
    }
}

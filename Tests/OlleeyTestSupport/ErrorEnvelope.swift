import Foundation

/// The error a command prints on stderr with `--json`:
/// `{"error":{"code":"invalid","message":"...","hint":"...","next":[...]}}`.
public struct ErrorEnvelope: Sendable, Equatable {
    public var code: String
    public var message: String
    public var hint: String?
    /// The `next` actions, each as its `kind` and `action` (or `field`/`key`).
    public var next: [String]

    /// The last error envelope in `stderr`, or nil when there is none (or it is not JSON).
    public init?(stderr: String) {
        for line in stderr.split(separator: "\n").reversed() where line.hasPrefix("{\"error\"") {
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let e = o["error"] as? [String: Any], let code = e["code"] as? String else { continue }
            self.code = code
            message = e["message"] as? String ?? ""
            hint = e["hint"] as? String
            next = (e["next"] as? [[String: Any]] ?? []).map { n in
                "\(n["kind"] as? String ?? ""):\(n["action"] as? String ?? n["field"] as? String ?? n["key"] as? String ?? "")"
            }
            return
        }
        return nil
    }
}

import OlleeyHTTP
import OlleeyKit

/// One mapping of OlleeyKit's errors onto HTTP: the status comes from the error's code (the same
/// table that gives the CLI's exit codes); the detail is the error's message, which OlleeyKit
/// writes for people and never fills with SQL, paths or stack traces. Anything else is a 500
/// whose text goes to the log only (ErrorMiddleware does that).
enum ServerErrors {
    @Sendable static func map(_ error: any Error) -> HTTPError? {
        guard let e = error as? OlleeyError else { return nil }
        return HTTPError(e.code.httpStatus, e.message, code: e.code.rawValue)
    }
}

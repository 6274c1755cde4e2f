/// The one error type of olleey. Its `code` maps, here and nowhere else, to a process exit
/// code (sysexits) and to an HTTP status.
public struct OlleeyError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        case failure          // 1   general failure
        case alreadyExists = "already_exists" // 1 (HTTP 409)
        case conflict         // 1   state does not allow it (HTTP 409)
        case usage            // 64  wrong command line
        case invalid          // 65  bad input data (malformed VTT, bad JSON, constraint)
        case notFound = "not_found" // 66 input file or id not found
        case unavailable      // 69  a required tool or engine is missing
        case cannotCreate = "cannot_create" // 73 cannot create output
        case busy             // 75  temporary failure (database busy), retry
        case permission       // 77  not allowed
        case unauthenticated  // 77  no valid credentials: bad password, bad or expired token (HTTP 401)
        case rateLimited = "rate_limited" // 75 too many requests, retry later (HTTP 429)
        case config           // 78  workspace or configuration error
        case interrupted      // 130

        public var exitCode: Int32 {
            switch self {
            case .failure, .alreadyExists, .conflict: return 1
            case .usage: return 64
            case .invalid: return 65
            case .notFound: return 66
            case .unavailable: return 69
            case .cannotCreate: return 73
            case .busy, .rateLimited: return 75
            case .permission, .unauthenticated: return 77
            case .config: return 78
            case .interrupted: return 130
            }
        }

        public var httpStatus: Int {
            switch self {
            case .failure: return 500
            case .alreadyExists, .conflict: return 409
            case .usage, .invalid: return 400
            case .notFound: return 404
            case .unavailable: return 503
            case .cannotCreate: return 507
            case .busy: return 503
            case .permission: return 403
            case .unauthenticated: return 401
            case .rateLimited: return 429
            case .config: return 500
            case .interrupted: return 503
            }
        }
    }

    public var code: Code
    public var message: String
    /// What to do about it, in words that name no front end's syntax (no flags, no commands).
    public var hint: String?
    /// What to change or run next, as data: each front end phrases it its own way (the CLI as a
    /// flag, a `config set` or a command line; the server as a field, a setting or an action).
    public var next: [NextAction]

    public init(_ code: Code, _ message: String, hint: String? = nil, next: [NextAction] = []) {
        self.code = code
        self.message = message
        self.hint = hint
        self.next = next
    }

    public var description: String { message }

    public static func usage(_ m: String, hint: String? = nil, next: [NextAction] = []) -> OlleeyError { .init(.usage, m, hint: hint, next: next) }
    public static func invalid(_ m: String, hint: String? = nil, next: [NextAction] = []) -> OlleeyError { .init(.invalid, m, hint: hint, next: next) }
    public static func notFound(_ m: String, hint: String? = nil, next: [NextAction] = []) -> OlleeyError { .init(.notFound, m, hint: hint, next: next) }
    public static func config(_ m: String, hint: String? = nil, next: [NextAction] = []) -> OlleeyError { .init(.config, m, hint: hint, next: next) }
    public static func unavailable(_ m: String, hint: String? = nil, next: [NextAction] = []) -> OlleeyError { .init(.unavailable, m, hint: hint, next: next) }
    public static func failure(_ m: String, hint: String? = nil, next: [NextAction] = []) -> OlleeyError { .init(.failure, m, hint: hint, next: next) }
    public static func cannotCreate(_ m: String, hint: String? = nil, next: [NextAction] = []) -> OlleeyError { .init(.cannotCreate, m, hint: hint, next: next) }
    public static func permission(_ m: String, hint: String? = nil, next: [NextAction] = []) -> OlleeyError { .init(.permission, m, hint: hint, next: next) }
    public static func conflict(_ m: String, hint: String? = nil, next: [NextAction] = []) -> OlleeyError { .init(.conflict, m, hint: hint, next: next) }
}

/// A structured next step of an error.
public enum NextAction: Sendable, Equatable {
    /// Give or change an input: `name` as the command line spells the option without its dashes
    /// (`lang`, `max-cost`); the HTTP API's field is its snake_case form. `example` is a value.
    case input(String, example: String? = nil)
    /// Change a setting (a config key), to `example` if given.
    case setting(String, example: String? = nil)
    /// Another action: `noun verb` (`"job retry"`), its arguments, and options by name (as for
    /// `input`); a flag option has the value "".
    case command(String, [String] = [], options: [String: String] = [:])

    /// The HTTP API's field name for an input (`max-cost` -> `max_cost`).
    public static func fieldName(_ option: String) -> String { option.replacingOccurrences(of: "-", with: "_") }

    public var json: JSON {
        switch self {
        case let .input(name, example):
            return .object([("kind", "input"), ("field", .string(NextAction.fieldName(name))), ("example", JSON(example))])
        case let .setting(key, example):
            return .object([("kind", "setting"), ("key", .string(key)), ("example", JSON(example))])
        case let .command(action, args, options):
            return .object([("kind", "command"), ("action", .string(action.replacingOccurrences(of: " ", with: "."))),
                            ("arguments", .array(args.map { .string($0) })),
                            ("fields", .object(options.sorted { $0.key < $1.key }.map { (NextAction.fieldName($0.key), .string($0.value)) }))])
        }
    }
}

/// The exit codes olleey documents (`olleey help exit-codes`).
public enum ExitCodes {
    /// `job run`: a job it ran failed (takes precedence over `jobsIncomplete`).
    public static let jobsFailed: Int32 = 2
    /// `job run`: a job it ran ended paused, cancelled or waiting for approval (no failures).
    public static let jobsIncomplete: Int32 = 3

    public static let table: [(code: Int32, name: String, meaning: String)] = [
        (0, "ok", "success; job run: every job it ran completed; worker: stopped by SIGTERM or SIGINT (its units in flight left resumable)"),
        (1, "failure", "general failure; lint/check found errors; diff found differences"),
        (2, "jobs_failed", "job run finished with one or more failed jobs"),
        (3, "jobs_incomplete", "job run finished with a job paused, cancelled or waiting for approval (none failed): its outputs are not all there"),
        (64, "usage", "wrong command line: unknown command or option, bad value"),
        (65, "invalid", "bad input data: malformed VTT/SRT/TBX/CSV, bad JSON"),
        (66, "not_found", "input file or id not found"),
        (69, "unavailable", "a required tool or engine is missing (ffmpeg, apertium, ...)"),
        (73, "cannot_create", "cannot create output (permissions, full disk)"),
        (75, "busy", "temporary failure, retry (database busy; rate_limited: too many attempts)"),
        (77, "permission", "not allowed for this user or role (unauthenticated: a wrong password or token)"),
        (78, "config", "workspace or configuration error (no workspace, newer schema)"),
        (130, "interrupted", "interrupted by SIGINT (Ctrl-C); job run leaves the stopped stages resumable"),
        (143, "terminated", "stopped by SIGTERM; job run leaves the stopped stages resumable (a second signal exits at once)"),
    ]
}

import Foundation

/// A user's preferences (the root spec's `/settings`): theme, timezone and notification
/// switches. Defaults until the user changes them; a patch changes only what it names, and an
/// unknown field or a bad value is refused (400 naming it), so nothing sent is silently dropped.
public struct UserSettings: Sendable, Equatable {
    public var theme: String
    public var timezone: String
    public var notifications: [(String, Bool)]

    public static let themes = ["light", "dark", "system"]
    public static let notificationKeys = ["email_notifications", "distribution_updates", "error_alerts"]
    public static let defaults = UserSettings(theme: "system", timezone: "UTC", notifications: notificationKeys.map { ($0, true) })

    public static func == (a: UserSettings, b: UserSettings) -> Bool {
        a.theme == b.theme && a.timezone == b.timezone && a.notifications.map(\.0) == b.notifications.map(\.0) && a.notifications.map(\.1) == b.notifications.map(\.1)
    }

    public var json: JSON {
        .object([("theme", .string(theme)), ("timezone", .string(timezone)),
                 ("notifications", .object(notifications.map { ($0.0, .bool($0.1)) }))])
    }

    /// This with `patch` applied (its fields: `theme`, `timezone`, `notifications`).
    public func applying(_ patch: JSON) throws -> UserSettings {
        guard case let .object(fields) = patch else { throw OlleeyError.usage("the settings must be a JSON object") }
        var s = self
        for (k, v) in fields {
            switch k {
            case "theme":
                guard let t = v.stringValue, UserSettings.themes.contains(t) else {
                    throw OlleeyError.usage("theme must be one of \(UserSettings.themes.joined(separator: ", "))", next: [.input("theme", example: "dark")])
                }
                s.theme = t
            case "timezone":
                guard let tz = v.stringValue, TimeZone(identifier: tz) != nil else {
                    throw OlleeyError.usage("timezone must be an IANA time zone name", next: [.input("timezone", example: "Europe/Madrid")])
                }
                s.timezone = tz
            case "notifications":
                guard case let .object(ns) = v else { throw OlleeyError.usage("notifications must be an object of switches") }
                for (nk, nv) in ns {
                    guard let i = s.notifications.firstIndex(where: { $0.0 == nk }) else {
                        throw OlleeyError.usage("unknown notification '\(nk)': one of \(UserSettings.notificationKeys.joined(separator: ", "))")
                    }
                    guard let b = nv.boolValue else { throw OlleeyError.usage("notifications.\(nk) must be true or false") }
                    s.notifications[i].1 = b
                }
            default:
                throw OlleeyError.usage("unknown setting '\(k)': theme, timezone or notifications")
            }
        }
        return s
    }
}

/// The stored preferences of users.
public struct UserSettingsService {
    public let db: Database
    public init(_ db: Database) { self.db = db }

    public func get(_ userId: String) throws -> UserSettings {
        guard let stored = try UserSettingsStore(db: db).stored(userId) else {
            return .defaults
        }
        // stored values were validated when written; a key dropped since is ignored
        var s = UserSettings.defaults
        if let t = stored["theme"]?.stringValue, UserSettings.themes.contains(t) { s.theme = t }
        if let tz = stored["timezone"]?.stringValue { s.timezone = tz }
        for i in s.notifications.indices { if let b = stored["notifications"]?[s.notifications[i].0]?.boolValue { s.notifications[i].1 = b } }
        return s
    }

    public func patch(_ userId: String, _ patch: JSON) throws -> UserSettings {
        try db.transaction {
            let s = try get(userId).applying(patch)
            try UserSettingsStore(db: db).put(userId, s.json)
            return s
        }
    }
}

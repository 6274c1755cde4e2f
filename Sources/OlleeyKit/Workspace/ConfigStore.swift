import Foundation

/// Reads and writes settings in the workspace database.
public struct ConfigStore {
    let db: Database

    public init(_ db: Database) { self.db = db }

    public func stored(_ key: String) throws -> String? {
        try db.scalarText("SELECT value FROM settings WHERE key = ?", [.text(key)])
    }

    /// The stored value, else the default.
    public func value(_ key: String) throws -> String? {
        try stored(key) ?? ConfigKeys.find(key)?.defaultValue
    }

    public func set(_ key: String, _ value: String) throws {
        try db.run("INSERT INTO settings(key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                   [.text(key), .text(value), .text(Clock.nowISO())])
    }

    @discardableResult
    public func unset(_ key: String) throws -> Bool {
        try db.run("DELETE FROM settings WHERE key = ?", [.text(key)]) > 0
    }

    public func allStored() throws -> [String: String] {
        var d: [String: String] = [:]
        for (k, v) in try db.query("SELECT key, value FROM settings", [], { (try $0["key"] as String, try $0["value"] as String) }) { d[k] = v }
        return d
    }
}

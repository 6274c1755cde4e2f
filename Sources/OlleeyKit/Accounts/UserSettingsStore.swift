import Foundation

/// SQL of users' preferences (the rules are UserSettings').
struct UserSettingsStore {
    let db: Database

    func stored(_ userId: String) throws -> JSON? {
        try db.queryOne("SELECT settings FROM user_settings WHERE user_id = ?", [.text(userId)], { try $0.json("settings") }) ?? nil
    }

    func put(_ userId: String, _ settings: JSON) throws {
        try db.run("INSERT INTO user_settings(user_id, settings, updated_at) VALUES (?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
                   [.text(userId), .text(settings.encoded()), .text(Clock.nowISO())])
    }
}

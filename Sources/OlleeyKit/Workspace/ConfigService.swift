import Foundation

/// Rules of `olleey config`: known keys only, typed values.
public struct ConfigService {
    public let store: ConfigStore

    public init(_ db: Database) { store = ConfigStore(db) }

    public func key(_ name: String) throws -> ConfigKey {
        guard let k = ConfigKeys.find(name) else {
            let near = Suggest.closest(name, among: ConfigKeys.all.map(\.name))
            throw OlleeyError.usage("unknown config key '\(name)'",
                                    hint: near.isEmpty ? nil : "did you mean \(near.map { "'\($0)'" }.joined(separator: " or "))?", next: near.isEmpty ? [.command("config list")] : [])
        }
        return k
    }

    public func get(_ name: String) throws -> (key: ConfigKey, value: String?, isDefault: Bool) {
        let k = try key(name)
        let stored = try store.stored(name)
        return (k, stored ?? k.defaultValue, stored == nil)
    }

    @discardableResult
    public func set(_ name: String, _ raw: String) throws -> String {
        let k = try key(name)
        let v = try k.validate(raw)
        try store.set(name, v)
        return v
    }

    /// A setting that the configured engines do not read: which key, why, and the setting that
    /// would make it count (each front end phrases it: the CLI as a `config set` line).
    public struct NoEffect: Sendable, Equatable {
        public var key: String
        public var message: String
        public var next: NextAction
        public var json: JSON { .object([("key", .string(key)), ("message", .string(message)), ("next", next.json)]) }
    }

    /// What has no effect after `name` was set: the key itself when the engine configured for its
    /// stage does not read it (`engines.translate.command` while `engines.translate` is
    /// `apertium`); for an engine setting, the stored keys the newly chosen engine does not read.
    public func noEffect(afterSetting name: String) throws -> [NoEffect] {
        if ConfigKeys.engineScope[name] != nil { return try noEffect(name).map { [$0] } ?? [] }
        let stored = try store.allStored()
        return try ConfigKeys.engineScope.filter { key, scope in stored[key] != nil && scope.contains { $0.setting == name } }
            .keys.sorted().compactMap { try noEffect($0) }
    }

    func noEffect(_ name: String) throws -> NoEffect? {
        guard let scope = ConfigKeys.engineScope[name] else { return nil }
        var current: [(setting: String, engine: String)] = []
        for s in scope {
            let engine = try store.value(s.setting) ?? ""
            if s.engines.contains(engine) { return nil }
            current.append((s.setting, engine))
        }
        let readers = Set(scope.flatMap(\.engines)).sorted().joined(separator: " or ")
        let now = current.map { "\($0.setting) is \($0.engine.isEmpty ? "unset" : $0.engine)" }.joined(separator: ", ")
        let example = scope[0]
        return NoEffect(key: name, message: "\(name) has no effect while \(now): only the \(readers) engine reads it",
                        next: .setting(example.setting, example: example.engines[0]))
    }

    @discardableResult
    public func unset(_ name: String) throws -> Bool {
        _ = try key(name)
        return try store.unset(name)
    }

    public func list() throws -> [(key: ConfigKey, value: String?, isDefault: Bool)] {
        let stored = try store.allStored()
        return ConfigKeys.all.map { k in (k, stored[k.name] ?? k.defaultValue, stored[k.name] == nil) }
    }
}

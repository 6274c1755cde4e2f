import Foundation

/// Rules of `olleey config`: known keys only, typed values. The `store.*` and `storage.*` keys
/// say where this machine finds the store and the storage: they live in `.olleey/store.json`
/// (`StorageSettings`), not in the database, and need the `workspace`.
public struct ConfigService {
    public let store: ConfigStore
    public let workspace: Workspace?

    public init(_ db: Database, workspace: Workspace? = nil) { store = ConfigStore(db); self.workspace = workspace }

    /// Every key: the database's, then (with a workspace) the location's.
    public var keys: [ConfigKey] { ConfigKeys.all + (workspace == nil ? [] : StorageSettings.keys) }

    public func key(_ name: String) throws -> ConfigKey {
        guard let k = ConfigKeys.find(name) ?? (workspace == nil ? nil : StorageSettings.keys.first(where: { $0.name == name })) else {
            let near = Suggest.closest(name, among: keys.map(\.name))
            throw OlleeyError.usage("unknown config key '\(name)'",
                                    hint: near.isEmpty ? nil : "did you mean \(near.map { "'\($0)'" }.joined(separator: " or "))?", next: near.isEmpty ? [.command("config list")] : [])
        }
        return k
    }

    public func get(_ name: String) throws -> (key: ConfigKey, value: String?, isDefault: Bool) {
        let k = try key(name)
        let stored = try location(name).map { StorageSettings.value(name, in: $0.location) } ?? store.stored(name)
        return (k, stored ?? k.defaultValue, stored == nil)
    }

    @discardableResult
    public func set(_ name: String, _ raw: String) throws -> String {
        let k = try key(name)
        let v = try k.validate(raw)
        if let (l, path) = try location(name) {
            var l = l
            switch name {
            case "store.url":
                try StoreLocation.checkStore(v)
                if l.store != v { try checkChangeable(name) }
                l.store = v
            case "storage.url":
                try StoreLocation.checkStorage(v)
                if l.storage != v { try checkChangeable(name) }
                l.storage = v
            default:
                l.settings[name] = v
            }
            try l.write(path)
        } else {
            try store.set(name, v)
        }
        return v
    }

    /// For a key kept in store.json: the location as the file says (not the environment) and the
    /// file's path; nil for a database key. `store.url` and `storage.url` are not changed here.
    func location(_ name: String) throws -> (location: StoreLocation, path: String)? {
        guard StorageSettings.isLocationKey(name), let workspace else { return nil }
        let path = workspace.dir + "/" + Workspace.locationName
        return (StoreLocation.read(path), path)
    }

    /// `store.url` and `storage.url` choose where a workspace without jobs keeps its store and
    /// media; once it has jobs, changing them is a move that copies (the migrate commands), and
    /// unsetting them is refused.
    func checkChangeable(_ name: String, unsetting: Bool = false) throws {
        guard StorageSettings.readOnlyKeys.contains(name) else { return }
        let what = name == "store.url" ? "store" : "storage"
        let cmd = name == "store.url" ? "store migrate --to URL" : "storage migrate --to URL"
        if unsetting {
            throw OlleeyError.usage("\(name) cannot be unset: the workspace's \(what) is where its data is", hint: "olleey \(cmd) moves it")
        }
        let jobs = try JobStore(store.db).countedTotal()
        guard jobs == 0 else {
            throw OlleeyError.usage("this workspace has \(jobs) job\(jobs == 1 ? "" : "s"): changing \(name) would leave them behind",
                                    hint: "moving the \(what) copies it: olleey \(cmd)", next: [.command(cmd)])
        }
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
        if let (l, path) = try location(name) {
            try checkChangeable(name, unsetting: true)
            var l = l
            guard l.settings.removeValue(forKey: name) != nil else { return false }
            try l.write(path)
            return true
        }
        return try store.unset(name)
    }

    public func list() throws -> [(key: ConfigKey, value: String?, isDefault: Bool)] {
        let stored = try store.allStored()
        let l = workspace.map { StoreLocation.read($0.dir + "/" + Workspace.locationName) }
        return keys.map { k in
            let v = StorageSettings.isLocationKey(k.name) ? l.flatMap { StorageSettings.value(k.name, in: $0) } : stored[k.name]
            return (k, v ?? k.defaultValue, v == nil)
        }
    }
}

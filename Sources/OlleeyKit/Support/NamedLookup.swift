/// Finds a row of a table with a text id and a unique name: by exact id, by exact name, or by a
/// unique id prefix of 4+ characters. Used for glossaries, projects and channels.
enum NamedLookup {
    /// `listCommand` is the command (noun verb) that lists them. With `org`, only that organisation's rows exist (another's is "not found").
    static func id(_ db: Database, table: String, nameColumn: String = "name", _ value: String, what: String, listCommand: String, org: String? = nil) throws -> String {
        let (own, ownArgs): (String, [SQLValue]) = org.map { (" AND org_id = ?", [.text($0)]) } ?? ("", [])
        if let id = try db.scalarText("SELECT id FROM \(table) WHERE (id = ? OR \(nameColumn) = ?)\(own) ORDER BY id = ? DESC LIMIT 1",
                                      [.text(value), .text(value)] + ownArgs + [.text(value)]) {
            return id
        }
        if value.count >= 4 {
            let ids = try db.query("SELECT id FROM \(table) WHERE id >= ? AND id < ?\(own) ORDER BY id LIMIT 3",
                                   [.text(value), .text(value + "\u{FFFF}")] + ownArgs) { $0.string(0) }
            if ids.count > 1 {
                throw OlleeyError.usage("\(what) id prefix '\(value)' is ambiguous (\(ids.joined(separator: ", "))...)", hint: "give more characters, or the name")
            }
            if let id = ids.first { return id }
        }
        let names = try db.query("SELECT \(nameColumn) FROM \(table) WHERE TRUE\(own) ORDER BY \(nameColumn) LIMIT 500", ownArgs) { $0.string(0) }
        let near = Suggest.closest(value, among: names)
        throw OlleeyError.notFound("\(what) '\(value)' not found",
                                   hint: near.isEmpty ? nil : "did you mean \(near.map { "'\($0)'" }.joined(separator: " or "))?",
                                   next: near.isEmpty ? [.command(listCommand)] : [])
    }
}

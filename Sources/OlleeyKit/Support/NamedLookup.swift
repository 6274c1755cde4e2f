/// Finds a row of a table with a text id and a unique name: by exact id, by exact name, or by a
/// unique id prefix of 4+ characters. Used for glossaries, projects and channels.
enum NamedLookup {
    static func id(_ db: Database, table: String, nameColumn: String = "name", _ value: String, what: String, listCommand: String) throws -> String {
        if let id = try db.scalarText("SELECT id FROM \(table) WHERE id = ? OR \(nameColumn) = ? ORDER BY id = ? DESC LIMIT 1",
                                      [.text(value), .text(value), .text(value)]) {
            return id
        }
        if value.count >= 4 {
            let ids = try db.query("SELECT id FROM \(table) WHERE id >= ? AND id < ? ORDER BY id LIMIT 3",
                                   [.text(value), .text(value + "\u{FFFF}")]) { $0.string(0) }
            if ids.count > 1 {
                throw OlleeyError.usage("\(what) id prefix '\(value)' is ambiguous (\(ids.joined(separator: ", "))...)", hint: "give more characters, or the name")
            }
            if let id = ids.first { return id }
        }
        let names = try db.query("SELECT \(nameColumn) FROM \(table) ORDER BY \(nameColumn) LIMIT 500", []) { $0.string(0) }
        let near = Suggest.closest(value, among: names)
        throw OlleeyError.notFound("\(what) '\(value)' not found",
                                   hint: near.isEmpty ? "run '\(listCommand)'" : "did you mean \(near.map { "'\($0)'" }.joined(separator: " or "))?")
    }
}

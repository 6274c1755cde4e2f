/// The workspace schema, as numbered migrations. Append only.
public enum Schema {
    public static let migrations: [Migration] = [
        Migration(1, "foundation", """
            CREATE TABLE settings (
              key TEXT PRIMARY KEY,
              value TEXT NOT NULL,
              updated_at TEXT NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE audit_log (
              id INTEGER PRIMARY KEY,
              at TEXT NOT NULL,
              actor TEXT,
              action TEXT NOT NULL,
              subject TEXT,
              detail TEXT
            );
            CREATE TABLE events (
              id INTEGER PRIMARY KEY,
              at TEXT NOT NULL,
              kind TEXT NOT NULL,
              job_id TEXT,
              language TEXT,
              data TEXT NOT NULL DEFAULT '{}'
            );
            CREATE INDEX events_job ON events(job_id, id);
            """),
    ]
}

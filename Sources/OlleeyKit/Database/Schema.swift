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
        Migration(2, "jobs", """
            CREATE TABLE videos (
              id TEXT PRIMARY KEY,
              sha256 TEXT NOT NULL UNIQUE,
              path TEXT NOT NULL,
              original_name TEXT NOT NULL,
              size_bytes INTEGER NOT NULL,
              duration_ms INTEGER NOT NULL,
              has_audio INTEGER NOT NULL,
              info TEXT NOT NULL DEFAULT '{}',
              created_at TEXT NOT NULL
            );
            CREATE TABLE jobs (
              id TEXT PRIMARY KEY,
              source TEXT NOT NULL,
              source_name TEXT NOT NULL,
              source_lang TEXT NOT NULL,
              video_id TEXT REFERENCES videos(id),
              status TEXT NOT NULL,
              stage TEXT,
              options TEXT NOT NULL DEFAULT '{}',
              project_id TEXT,
              channel_id TEXT,
              error TEXT,
              error_stage TEXT,
              paused INTEGER NOT NULL DEFAULT 0,
              cancel_requested INTEGER NOT NULL DEFAULT 0,
              lease_owner TEXT,
              lease_expires_ms INTEGER,
              created_at TEXT NOT NULL,
              updated_at TEXT NOT NULL,
              started_at TEXT,
              completed_at TEXT
            );
            CREATE INDEX jobs_created ON jobs(created_at);
            CREATE INDEX jobs_status ON jobs(status, created_at);
            CREATE INDEX jobs_project ON jobs(project_id, created_at);
            CREATE INDEX jobs_channel ON jobs(channel_id, created_at);
            CREATE TABLE job_languages (
              job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
              language TEXT NOT NULL,
              status TEXT NOT NULL,
              stage TEXT,
              error TEXT,
              error_stage TEXT,
              failed_cues TEXT,
              outputs TEXT NOT NULL DEFAULT '{}',
              fit_report TEXT,
              render_key TEXT,
              source_sha TEXT,
              approval TEXT NOT NULL DEFAULT '',
              approval_reason TEXT,
              lease_owner TEXT,
              lease_expires_ms INTEGER,
              updated_at TEXT NOT NULL,
              PRIMARY KEY (job_id, language)
            );
            CREATE INDEX job_languages_lang ON job_languages(language, job_id);
            CREATE TABLE tracks (
              id INTEGER PRIMARY KEY,
              job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
              language TEXT NOT NULL,
              kind TEXT NOT NULL,
              current_version INTEGER NOT NULL DEFAULT 0,
              locked INTEGER NOT NULL DEFAULT 0,
              UNIQUE (job_id, language, kind)
            );
            CREATE TABLE track_versions (
              track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
              version INTEGER NOT NULL,
              content TEXT NOT NULL,
              sha256 TEXT NOT NULL,
              author TEXT NOT NULL,
              message TEXT NOT NULL,
              created_at TEXT NOT NULL,
              PRIMARY KEY (track_id, version)
            ) WITHOUT ROWID;
            CREATE TABLE stage_runs (
              id INTEGER PRIMARY KEY,
              job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
              language TEXT NOT NULL DEFAULT '',
              stage TEXT NOT NULL,
              input_hash TEXT,
              state TEXT NOT NULL,
              cached INTEGER NOT NULL DEFAULT 0,
              error TEXT,
              worker TEXT,
              started_at TEXT NOT NULL,
              finished_at TEXT,
              duration_ms INTEGER
            );
            CREATE INDEX stage_runs_job ON stage_runs(job_id, language, stage);
            """),
    ]
}

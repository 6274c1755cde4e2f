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
        Migration(3, "review", """
            CREATE TABLE users (
              id TEXT PRIMARY KEY,
              email TEXT NOT NULL UNIQUE,
              name TEXT NOT NULL DEFAULT '',
              role TEXT NOT NULL CHECK (role IN ('CLIENT','REVIEWER','LINGUIST','PM','ADMIN')),
              disabled INTEGER NOT NULL DEFAULT 0,
              created_at TEXT NOT NULL,
              updated_at TEXT NOT NULL
            );
            CREATE TABLE projects (
              id TEXT PRIMARY KEY,
              name TEXT NOT NULL UNIQUE,
              description TEXT NOT NULL DEFAULT '',
              created_at TEXT NOT NULL,
              updated_at TEXT NOT NULL
            );
            CREATE TABLE channels (
              id TEXT PRIMARY KEY,
              name TEXT NOT NULL UNIQUE,
              kind TEXT NOT NULL CHECK (kind IN ('master','language')),
              language TEXT,
              master_id TEXT REFERENCES channels(id) ON DELETE CASCADE,
              project_id TEXT REFERENCES projects(id) ON DELETE SET NULL,
              external_id TEXT,
              status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','paused')),
              publish_command TEXT,
              publish_url TEXT,
              created_at TEXT NOT NULL,
              updated_at TEXT NOT NULL,
              UNIQUE (master_id, language)
            );
            CREATE INDEX channels_master ON channels(master_id);
            CREATE TABLE glossaries (
              id TEXT PRIMARY KEY,
              name TEXT NOT NULL UNIQUE,
              source_lang TEXT NOT NULL,
              description TEXT NOT NULL DEFAULT '',
              created_at TEXT NOT NULL,
              updated_at TEXT NOT NULL
            );
            CREATE TABLE glossary_terms (
              id TEXT PRIMARY KEY,
              glossary_id TEXT NOT NULL REFERENCES glossaries(id) ON DELETE CASCADE,
              term TEXT NOT NULL,
              variants TEXT NOT NULL DEFAULT '[]',
              part_of_speech TEXT,
              note TEXT,
              dnt INTEGER NOT NULL DEFAULT 0,
              forbidden INTEGER NOT NULL DEFAULT 0,
              case_sensitive INTEGER NOT NULL DEFAULT 0,
              created_at TEXT NOT NULL,
              updated_at TEXT NOT NULL,
              UNIQUE (glossary_id, term)
            );
            CREATE TABLE glossary_term_targets (
              term_id TEXT NOT NULL REFERENCES glossary_terms(id) ON DELETE CASCADE,
              language TEXT NOT NULL,
              target TEXT NOT NULL,
              variants TEXT NOT NULL DEFAULT '[]',
              forbidden TEXT NOT NULL DEFAULT '[]',
              PRIMARY KEY (term_id, language)
            ) WITHOUT ROWID;
            CREATE TABLE qc (
              job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
              language TEXT NOT NULL,
              state TEXT NOT NULL DEFAULT 'unassigned'
                CHECK (state IN ('unassigned','assigned','in_review','approved','rejected')),
              assignee_id TEXT REFERENCES users(id) ON DELETE SET NULL,
              glossary_report TEXT,
              updated_at TEXT NOT NULL,
              PRIMARY KEY (job_id, language)
            ) WITHOUT ROWID;
            CREATE TABLE qc_history (
              id INTEGER PRIMARY KEY,
              job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
              language TEXT NOT NULL,
              at TEXT NOT NULL,
              actor TEXT,
              action TEXT NOT NULL,
              from_state TEXT,
              to_state TEXT,
              message TEXT
            );
            CREATE INDEX qc_history_job ON qc_history(job_id, language, id);
            CREATE TABLE cost_rates (
              key TEXT PRIMARY KEY,
              micros INTEGER NOT NULL CHECK (micros >= 0),
              updated_at TEXT NOT NULL
            ) WITHOUT ROWID;
            -- no foreign key to jobs: what was spent stays recorded after a job is deleted
            CREATE TABLE cost_entries (
              id INTEGER PRIMARY KEY,
              job_id TEXT NOT NULL,
              project_id TEXT,
              stage TEXT NOT NULL,
              language TEXT NOT NULL DEFAULT '',
              engine TEXT NOT NULL,
              micros INTEGER NOT NULL,
              usage TEXT NOT NULL DEFAULT '{}',
              created_at TEXT NOT NULL,
              UNIQUE (job_id, stage, language)
            );
            CREATE INDEX cost_entries_created ON cost_entries(created_at);
            """),
        // the mixed audio and subtitles of a language are in place for the master MP4 (which
        // can then be built while the language's own MP4 is still being muxed)
        Migration(4, "master_audio", """
            ALTER TABLE job_languages ADD COLUMN audio_key TEXT;
            """),
        // who wrote each cue of each track version last (an engine or a person), and whether its
        // source cue changed since a person wrote it (stale); a version also keeps the cues a
        // person wrote that it dropped because their source cue was deleted
        Migration(5, "cue_authors", """
            CREATE TABLE track_cues (
              track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
              version INTEGER NOT NULL,
              position INTEGER NOT NULL,
              author TEXT NOT NULL,
              human INTEGER NOT NULL CHECK (human IN (0, 1)),
              stale INTEGER NOT NULL DEFAULT 0 CHECK (stale IN (0, 1)),
              PRIMARY KEY (track_id, version, position)
            ) WITHOUT ROWID;
            ALTER TABLE track_versions ADD COLUMN dropped_cues TEXT NOT NULL DEFAULT '[]';
            """),
        // organisations: everything a user lists belongs to one (existing data to `default`), and
        // a user's role is per organisation (a membership); `users.role` stays for compatibility
        // (the role the account was created with), the membership is the truth. `org_id` has no
        // REFERENCES clause: SQLite cannot add a column with a foreign key and a non-null default.
        Migration(6, "organizations", """
            CREATE TABLE organizations (
              id TEXT PRIMARY KEY,
              name TEXT NOT NULL UNIQUE,
              created_at TEXT NOT NULL
            );
            INSERT INTO organizations(id, name, created_at) VALUES ('default', 'default', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
            CREATE TABLE memberships (
              org_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
              user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
              role TEXT NOT NULL CHECK (role IN ('CLIENT','REVIEWER','LINGUIST','PM','ADMIN')),
              created_at TEXT NOT NULL,
              PRIMARY KEY (org_id, user_id)
            ) WITHOUT ROWID;
            CREATE INDEX memberships_user ON memberships(user_id);
            INSERT INTO memberships(org_id, user_id, role, created_at) SELECT 'default', id, role, created_at FROM users;
            ALTER TABLE jobs ADD COLUMN org_id TEXT NOT NULL DEFAULT 'default';
            ALTER TABLE projects ADD COLUMN org_id TEXT NOT NULL DEFAULT 'default';
            ALTER TABLE channels ADD COLUMN org_id TEXT NOT NULL DEFAULT 'default';
            ALTER TABLE glossaries ADD COLUMN org_id TEXT NOT NULL DEFAULT 'default';
            CREATE INDEX jobs_org ON jobs(org_id, created_at);
            """),
        // Names are unique per organisation, not per workspace: another organisation's project,
        // channel or glossary of the same name neither blocks a create nor reveals itself.
        Migration(7, "names_per_organization", rebuildsTables: true, """
            CREATE TABLE projects_new (
              id TEXT PRIMARY KEY,
              name TEXT NOT NULL,
              description TEXT NOT NULL DEFAULT '',
              created_at TEXT NOT NULL,
              updated_at TEXT NOT NULL,
              org_id TEXT NOT NULL DEFAULT 'default',
              UNIQUE (org_id, name)
            );
            INSERT INTO projects_new(id, name, description, created_at, updated_at, org_id)
              SELECT id, name, description, created_at, updated_at, org_id FROM projects;
            DROP TABLE projects;
            ALTER TABLE projects_new RENAME TO projects;
            CREATE TABLE channels_new (
              id TEXT PRIMARY KEY,
              name TEXT NOT NULL,
              kind TEXT NOT NULL CHECK (kind IN ('master','language')),
              language TEXT,
              master_id TEXT REFERENCES channels(id) ON DELETE CASCADE,
              project_id TEXT REFERENCES projects(id) ON DELETE SET NULL,
              external_id TEXT,
              status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','paused')),
              publish_command TEXT,
              publish_url TEXT,
              created_at TEXT NOT NULL,
              updated_at TEXT NOT NULL,
              org_id TEXT NOT NULL DEFAULT 'default',
              UNIQUE (master_id, language),
              UNIQUE (org_id, name)
            );
            INSERT INTO channels_new(id, name, kind, language, master_id, project_id, external_id, status, publish_command, publish_url, created_at, updated_at, org_id)
              SELECT id, name, kind, language, master_id, project_id, external_id, status, publish_command, publish_url, created_at, updated_at, org_id FROM channels;
            DROP TABLE channels;
            ALTER TABLE channels_new RENAME TO channels;
            CREATE INDEX channels_master ON channels(master_id);
            CREATE TABLE glossaries_new (
              id TEXT PRIMARY KEY,
              name TEXT NOT NULL,
              source_lang TEXT NOT NULL,
              description TEXT NOT NULL DEFAULT '',
              created_at TEXT NOT NULL,
              updated_at TEXT NOT NULL,
              org_id TEXT NOT NULL DEFAULT 'default',
              UNIQUE (org_id, name)
            );
            INSERT INTO glossaries_new(id, name, source_lang, description, created_at, updated_at, org_id)
              SELECT id, name, source_lang, description, created_at, updated_at, org_id FROM glossaries;
            DROP TABLE glossaries;
            ALTER TABLE glossaries_new RENAME TO glossaries;
            """),
        // cache references: which cache entries the current version of a job's stage uses
        // (`entry` relative to `.olleey/cache/`), replaced each time that stage runs; `cache
        // prune` removes the entries nothing references. Deleting a job drops its references.
        Migration(8, "cache_refs", """
            CREATE TABLE cache_refs (
              job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
              language TEXT NOT NULL DEFAULT '',
              stage TEXT NOT NULL,
              entry TEXT NOT NULL,
              recorded_at TEXT NOT NULL,
              PRIMARY KEY (job_id, language, stage, entry)
            ) WITHOUT ROWID;
            CREATE INDEX cache_refs_entry ON cache_refs(entry);
            """),
        // accounts: a password hash and the instance-owner flag on users; refresh tokens (only
        // their SHA-256 is kept; a family is one login's chain of rotations); the server's
        // signing keys; rate-limit counters (one fixed window per key) so that several server
        // processes on one store agree; invitations (only the token's SHA-256); OIDC identities;
        // and the organisation an audit entry belongs to.
        Migration(9, "accounts", """
            ALTER TABLE users ADD COLUMN password_hash TEXT;
            ALTER TABLE users ADD COLUMN instance_owner INTEGER NOT NULL DEFAULT 0;
            CREATE TABLE refresh_tokens (
              token_hash TEXT PRIMARY KEY,
              family_id TEXT NOT NULL,
              user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
              org_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
              created_at TEXT NOT NULL,
              expires_at INTEGER NOT NULL,
              rotated_at TEXT,
              revoked_at TEXT
            ) WITHOUT ROWID;
            CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
            CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);
            CREATE TABLE signing_keys (
              name TEXT PRIMARY KEY,
              secret BLOB NOT NULL,
              created_at TEXT NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE rate_limits (
              key TEXT PRIMARY KEY,
              window_start INTEGER NOT NULL,
              count INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE invitations (
              id TEXT PRIMARY KEY,
              org_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
              email TEXT NOT NULL,
              role TEXT NOT NULL CHECK (role IN ('CLIENT','REVIEWER','LINGUIST','PM','ADMIN')),
              token_hash TEXT NOT NULL UNIQUE,
              invited_by TEXT,
              created_at TEXT NOT NULL,
              expires_at INTEGER NOT NULL,
              accepted_at TEXT
            );
            CREATE INDEX invitations_org ON invitations(org_id, created_at);
            CREATE TABLE oidc_identities (
              provider TEXT NOT NULL,
              subject TEXT NOT NULL,
              user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
              created_at TEXT NOT NULL,
              PRIMARY KEY (provider, subject)
            ) WITHOUT ROWID;
            ALTER TABLE audit_log ADD COLUMN org_id TEXT;
            CREATE INDEX audit_log_org ON audit_log(org_id, id);
            """),
        // job counts per (organisation, status), kept by triggers so that a list's `total` is a
        // lookup, not a COUNT(*) over the organisation's jobs (that count alone capped the
        // server's job list near 4.4k req/s). `JobStore.list` reads it when the filters are only
        // organisation and status; other filters count. A list's order (created_at, then id)
        // is read from one index, with no sort of the ties.
        Migration(10, "job_counts", """
            DROP INDEX jobs_org;
            CREATE INDEX jobs_org_created ON jobs(org_id, created_at, id);
            CREATE TABLE job_counts (
              org_id TEXT NOT NULL,
              status TEXT NOT NULL,
              n INTEGER NOT NULL,
              PRIMARY KEY (org_id, status)
            ) WITHOUT ROWID;
            INSERT INTO job_counts(org_id, status, n) SELECT org_id, status, count(*) FROM jobs GROUP BY org_id, status;
            CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs BEGIN
              INSERT INTO job_counts(org_id, status, n) VALUES (NEW.org_id, NEW.status, 1)
                ON CONFLICT(org_id, status) DO UPDATE SET n = n + 1;
            END;
            CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs BEGIN
              UPDATE job_counts SET n = n - 1 WHERE org_id = OLD.org_id AND status = OLD.status;
            END;
            CREATE TRIGGER job_counts_update AFTER UPDATE OF status, org_id ON jobs
              WHEN OLD.status IS NOT NEW.status OR OLD.org_id IS NOT NEW.org_id BEGIN
              UPDATE job_counts SET n = n - 1 WHERE org_id = OLD.org_id AND status = OLD.status;
              INSERT INTO job_counts(org_id, status, n) VALUES (NEW.org_id, NEW.status, 1)
                ON CONFLICT(org_id, status) DO UPDATE SET n = n + 1;
            END;
            """),
    ] + serverMigrations
}

/// Migrations 11 and later: the server's tables (connections, settings, feeds, source videos)
/// and the voice registry. Part of `Schema.migrations`; append only.
extension Schema {
    static let serverMigrations: [Migration] = [
        // issue 16: YouTube connections (a master channel connected over OAuth: its tokens, avatar
        // and whether it is the organisation's primary), per-user settings, feed subscriptions
        // (PubSubHubbub topics the webhook verifies) and the feed videos already seen.
        Migration(11, "connections_settings_feeds", """
            CREATE TABLE channel_connections (
              channel_id TEXT PRIMARY KEY REFERENCES channels(id) ON DELETE CASCADE,
              org_id TEXT NOT NULL,
              is_primary INTEGER NOT NULL DEFAULT 0,
              avatar_url TEXT,
              access_token TEXT,
              refresh_token TEXT,
              token_expires_at TEXT,
              connected_at TEXT NOT NULL
            );
            CREATE TABLE user_settings (
              user_id TEXT PRIMARY KEY,
              settings TEXT NOT NULL DEFAULT '{}',
              updated_at TEXT NOT NULL
            );
            CREATE TABLE feed_subscriptions (
              id TEXT NOT NULL UNIQUE,
              org_id TEXT NOT NULL,
              channel_external_id TEXT NOT NULL,
              topic TEXT NOT NULL,
              created_at TEXT NOT NULL,
              PRIMARY KEY (org_id, channel_external_id)
            );
            CREATE INDEX feed_subscriptions_topic ON feed_subscriptions(topic);
            CREATE TABLE feed_videos (
              org_id TEXT NOT NULL,
              video_id TEXT NOT NULL,
              channel_id TEXT,
              job_id TEXT,
              seen_at TEXT NOT NULL,
              PRIMARY KEY (org_id, video_id)
            );
            """),
        // the organisation's uploaded source videos (`POST /videos/upload`): the file is a row of
        // `videos` (by SHA-256, shared), this is its catalogue entry in one organisation; and a
        // person's title and description of a job's localized video (`PATCH /jobs/{id}/videos/{lang}`)
        Migration(12, "source_videos", """
            CREATE TABLE source_videos (
              id TEXT NOT NULL REFERENCES videos(id),
              org_id TEXT NOT NULL,
              title TEXT NOT NULL,
              description TEXT,
              channel_id TEXT,
              project_id TEXT,
              uploaded_by TEXT,
              created_at TEXT NOT NULL,
              PRIMARY KEY (org_id, id)
            ) WITHOUT ROWID;
            CREATE INDEX source_videos_created ON source_videos(org_id, created_at, id);
            CREATE TABLE localized_metadata (
              job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
              language TEXT NOT NULL,
              title TEXT,
              description TEXT,
              updated_by TEXT,
              updated_at TEXT NOT NULL,
              PRIMARY KEY (job_id, language)
            ) WITHOUT ROWID;
            """),
        // the voice registry (issue 17): which voice a speaker of the organisation's videos has
        // per language ('*': every language); `automatic` rows were chosen by a job and give way
        // to a person's entry, never the reverse
        Migration(13, "voice_registry", """
            CREATE TABLE voice_registry (
              org_id TEXT NOT NULL,
              speaker_key TEXT NOT NULL,
              speaker TEXT NOT NULL,
              language TEXT NOT NULL,
              engine TEXT NOT NULL,
              voice TEXT NOT NULL,
              pitch INTEGER,
              rate INTEGER,
              automatic INTEGER NOT NULL DEFAULT 0,
              created_by TEXT NOT NULL,
              updated_by TEXT NOT NULL,
              created_at TEXT NOT NULL,
              updated_at TEXT NOT NULL,
              PRIMARY KEY (org_id, speaker_key, language)
            ) WITHOUT ROWID;
            """),
    ]
}

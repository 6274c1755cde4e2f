import Foundation

/// The MP4s of the stage cache: side files (a language's dub and subtitles, tagged, no video)
/// shared by its own MP4 and the master, and deliverables (whole-video MP4s) updated in place
/// when only some tracks changed (`MP4Layout`).
struct MP4Cache {
    let cache: StageCache
    let media: any MediaToolkit
    let log: @Sendable (String) -> Void

    init(_ context: StageContext) {
        cache = context.cache; media = context.media; log = context.pipeline.log
    }

    /// A language's side file for `MP4Layout` (its dub and subtitles, tagged, no video), by the
    /// key of its audio and subtitles; shared by its own MP4 and the master.
    func side(_ language: String, key: String, audio: String, subtitles: String) throws -> String {
        try cache.produce("side", StageCache.key(["side", language, key]), "mp4") { tmp in
            try media.muxSide(audio: [AudioTrackSpec(path: audio, language: language, codec: "aac")],  // a mix: always AAC
                              subtitles: [SubtitleTrackSpec(path: subtitles, language: language)], to: tmp)
        }.path
    }

    /// An MP4 carrying the whole video, for the output path `dest`: when `dest` links the
    /// superseded entry of this stage and only some tracks changed, that file is updated in place
    /// (`MP4Layout.update`, writing only the changed samples); otherwise `make(tmp, moovReserve)`
    /// has ffmpeg mux it from `tracks` (empty: no update possible, no reserve). Each entry records
    /// the tracks it was made from beside it (`KEY.mp4.tracks`) for the next update.
    func deliverable(_ stage: String, _ key: String, at dest: String, tracks: [MP4Layout.Track],
                     make: (String, Int?) throws -> Void) throws -> (path: String, cached: Bool) {
        var consumed: String?
        let log = self.log
        let r = try cache.produce(stage, key, "mp4", updating: dest, update: { work, old in
            guard !tracks.isEmpty, let data = FileManager.default.contents(atPath: old + ".tracks"),
                  let recorded = try? JSONDecoder().decode([MP4Layout.Track].self, from: data) else { return false }
            let result = try MP4Layout.update(work, from: recorded, to: tracks)
            if case .declined(let why) = result { log("\(stage): muxing anew (\(why))") }
            if result.applied { consumed = old }
            return result.applied
        }, make: { tmp in
            try make(tmp, tracks.isEmpty ? nil : try MP4Layout.moovReserve(tracks))
        })
        if !r.cached {
            if let consumed { unlink(consumed + ".tracks") }
            // no fsync: a sidecar lost to a power cut only means the next edit muxes anew (and an
            // fsync here would wait for the MP4's own writeback)
            if !tracks.isEmpty, let data = try? JSONEncoder().encode(tracks) {
                let tmp = r.path + ".tracks.tmp-\(getpid())"
                try FileIO.writeScratch(Array(data), to: tmp)
                guard rename(tmp, r.path + ".tracks") == 0 else { let e = errno; unlink(tmp); throw FileIO.createError(r.path + ".tracks", e) }
            }
        }
        return r
    }
}

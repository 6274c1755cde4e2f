import Foundation

/// mix: the dub over the ducked original audio (or, with a separator, over a music-and-effects
/// stem, as is), as AAC. The background is decoded once per video (48 kHz PCM, shared by
/// languages); for a slowed video it is stretched under the same ranges. The mix is made in
/// cached 30 s segments (`AudioMixer`), so an edit re-does one.
struct MixStage: PipelineStage {
    var stage: Stage { .mix }
    let dub: DubResult
    let separator: (any Separator)?
    /// Gain of the original audio while the dub speaks (`mix.duck_volume`).
    let duck: Double

    func run(_ context: StageContext) throws -> StageResult<(path: String, key: String)> {
        guard let lang = context.language else { throw OlleeyError.failure("mix runs per language") }
        let (cache, media) = (context.cache, context.media)
        let (background, bgKey, duckIt) = try self.background(context)
        var opts = MixOptions()
        opts.duckGain = duck
        opts.language = lang  // the .m4a is tagged with its language (its key says so: entries before were `und`)
        let key = StageCache.key(["mix2", dub.trackKey, bgKey, String(duck), String(dub.durationMs)] + dub.speech.map { "\($0.startMs)-\($0.endMs)" } + ["lang=" + lang])
        let out = try cache.produce("mix", key, "m4a") { tmp in
            // mixed and AAC-encoded in cached 30 s segments: an edit re-does one; the samples
            // done are the stage's progress
            let stageCache = cache
            let media = context.media(reporting: .mix, durationMs: dub.durationMs).media
            try media.mixSegmented(MixSources(dub: dub.trackPath, background: background, backgroundKey: bgKey, duck: duckIt,
                                              speech: dub.speech, durationMs: dub.durationMs),
                                   output: tmp, options: opts) { key, make in
                try stageCache.produce("aacseg", key, "aac", make).path
            }
        }
        return StageResult((out.path, key), cached: out.cached)
    }

    /// The background (nil: the video has no audio), its cache key, and whether it is ducked.
    func background(_ context: StageContext) throws -> (path: String?, key: String, duck: Bool) {
        let (cache, media, cancel) = (context.cache, context.media, context.cancel)
        let video = try context.videoRecord()
        var background: String?
        var bgKey = "none"
        var duckIt = false
        if video.hasAudio {
            let akey = StageCache.key(["audio48k-native", video.sha256])
            let orig = try cache.produce("audio", akey, "wav") { tmp in
                let ch = try media.probe(video.path, requireVideo: false).audio?.channels ?? 2
                try media.extractAudio(from: video.path, to: tmp, target: .mixNative(channels: ch), audioIndex: 0)
            }
            if let sep = separator {
                let sv = try sep.version()
                let skey = StageCache.key(["stem", sep.name, sv, video.sha256])
                let stem = try cache.produce("stem", skey, "wav") { tmp in try sep.separate(orig.path, to: tmp, cancel: cancel) }
                bgKey = StageCache.key(["stem48k", skey])
                background = try cache.produce("audio", bgKey, "wav") { tmp in
                    let ch = try media.probe(stem.path, requireVideo: false).audio?.channels ?? 2
                    try media.extractAudio(from: stem.path, to: tmp, target: .mixNative(channels: ch), audioIndex: 0)
                }.path
            } else {
                background = orig.path
                bgKey = akey
                duckIt = true
            }
        }
        // a slowed video: the background is stretched under the same ranges (the original
        // audio is kept in sync with the picture, pitch kept)
        if let bg = background, !dub.map.ranges.isEmpty {
            let channels = try WAVHeader.read(bg)?.format.channels ?? 2
            bgKey = StageCache.key(["retimed48k", bgKey, String(channels), dub.map.key])
            let map = dub.map
            background = try cache.produce("audio", bgKey, "wav") { tmp in
                try media.retimeAudio(bg, map: map, output: tmp, channels: channels)
            }.path
        }
        return (background, bgKey, duckIt)
    }
}

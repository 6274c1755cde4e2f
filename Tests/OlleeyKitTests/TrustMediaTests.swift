import Foundation
import OlleeyKit
import Testing
import OlleeyTestSupport

/// Issue 10: a language's `.m4a` carries its language; a subtitle track is not shown by default
/// over audio in its own language. Real ffmpeg and ffprobe.
@Suite("trust: MP4 language tags and dispositions (real ffmpeg)", .enabled(if: MediaFixtures.hasFFmpeg, "ffmpeg/ffprobe not installed"))
struct TrustMediaTests {
    func probe(_ path: String, _ entries: String) throws -> [String] {
        try Subprocess.run("ffprobe", ["-v", "error", "-show_entries", entries, "-of", "csv=p=0", path]).stdoutString
            .split(separator: "\n").map(String.init)
    }

    @Test func theMixedAudioIsTaggedWithItsLanguage() throws {
        let t = TempDir()
        try Subprocess.run("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=300:duration=2",
                                      "-ar", "48000", "-ac", "1", "-c:a", "pcm_s16le", t.file("dub.wav")], timeout: 60)
        let ff = try FFmpeg()
        let cache = StageCache(root: t.file("cache"))
        for (lang, tag) in [("es", "spa"), ("ca", "cat"), (nil, "und")] as [(String?, String)] {
            var opts = MixOptions()
            opts.language = lang
            let out = t.file("mix-\(tag).m4a")
            try ff.mixSegmented(MixSources(dub: t.file("dub.wav"), background: nil, backgroundKey: "none", duck: false, speech: [], durationMs: 2000),
                                output: out, options: opts) { key, make in try cache.produce("aacseg", key, "aac", make).path }
            #expect(try probe(out, "stream=codec_type:stream_tags=language") == ["audio,\(tag)"])
        }
    }

    @Test func subtitlesAreNotDefaultBesideAudioInTheirLanguage() throws {
        let t = TempDir()
        try Subprocess.run("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=2",
                                      "-f", "lavfi", "-i", "sine=frequency=220:duration=2", "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                                      "-c:a", "aac", t.file("v.mp4")], timeout: 60)
        _ = t.write("es.vtt", "WEBVTT\n\n00:00.500 --> 00:01.500\nHola\n")
        let ff = try FFmpeg()
        // a language's MP4: Spanish audio (default) and Spanish subtitles: not default
        try ff.assembleLanguage(video: t.file("v.mp4"), output: LanguageOutput(language: "es", audio: t.file("v.mp4"), subtitles: t.file("es.vtt")),
                                to: t.file("es.mp4"))
        #expect(try probe(t.file("es.mp4"), "stream=codec_type:stream_disposition=default:stream_tags=language")
                == ["video,1,und", "audio,1,spa", "subtitle,0,spa"])
        // English audio with Spanish subtitles: the subtitles stay on (they translate what is heard)
        try ff.assemble(video: t.file("v.mp4"), audio: [AudioTrackSpec(path: t.file("v.mp4"), language: "en")],
                        subtitles: [SubtitleTrackSpec(path: t.file("es.vtt"), language: "es")], to: t.file("en-es.mp4"))
        #expect(try probe(t.file("en-es.mp4"), "stream=codec_type:stream_disposition=default") == ["video,1", "audio,1", "subtitle,1"])
        // the rule on its own, idempotent: nothing left to clear
        #expect(try MP4Disposition.disableRedundantSubtitles(t.file("es.mp4")) == 0)
        #expect(try MP4Disposition.disableRedundantSubtitles(t.file("en-es.mp4")) == 0)
        // not an MP4: left alone
        #expect(try MP4Disposition.disableRedundantSubtitles(t.file("es.vtt")) == 0)
    }
}

import Foundation
import Testing
import OlleeyTestSupport

/// `job run` on a real pseudo-terminal (util-linux `script`): live progress redrawn on stderr,
/// stage names, final lines; the same run in a pipe has no escape codes.
@Suite("End to end: job run progress under a pseudo-terminal", .enabled(if: Tools.media && Tools.has("script"), "needs the binary, ffmpeg, espeak-ng, apertium and script"))
struct ProgressEndToEndTests {
    @Test("script -qfec: redraws, stage names, a done line per language; a pipe: no escapes")
    func underScript() throws {
        let dir = Binary.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Tools.sample(in: dir)
        let bin = Binary.path
        let (rc, out) = try Tools.sh("""
            set -e
            '\(bin)' init >/dev/null
            J=$('\(bin)' job create talk.mp4 --subtitles talk.en.vtt --source-lang en --lang es,ca --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
            TERM=xterm script -qfec "'\(bin)' job run $J" tty.log >/dev/null
            echo "$J" > id
            """, cwd: dir)
        #expect(rc == 0, "\(out)")
        let log = FileManager.default.contents(atPath: dir + "/tty.log").map { String(decoding: $0, as: UTF8.self) } ?? ""
        let moves = log.components(separatedBy: "\u{1B}[").count - 1
        #expect(moves >= 5, "\(moves) escapes: \(log)")
        #expect(log.contains("\u{1B}[J"), "lines cleared in place")
        for s in ["translate", "dub"] { #expect(log.contains(s), "\(s)") }
        let tail = log.components(separatedBy: "\n").suffix(6).joined(separator: "\n")
        #expect(tail.contains(" es ") && tail.contains(" ca ") && tail.contains("done in"), "\(tail)")
        let (prc, pipe) = try Tools.sh("""
            J=$('\(bin)' job create talk.mp4 --subtitles talk.en.vtt --source-lang en --lang eo --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
            TERM=xterm '\(bin)' job run $J 2>&1 | cat
            """, cwd: dir)
        #expect(prc == 0 && !pipe.contains("\u{1B}") && pipe.contains("mix done in"), "\(pipe)")
    }
}

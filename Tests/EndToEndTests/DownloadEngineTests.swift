import Foundation
import Testing

/// A video page (a YouTube video, as the feed webhook creates) is fetched only through the
/// download engine (`engines.download.command`): without one the job fails at ingest with the
/// advice of an exit 69 (unavailable: the setting to set), never with a page of HTML taken for a
/// video. `job run` itself exits 2, its code for "a job failed".
@Suite("End to end: the download engine", .enabled(if: Binary.exists, "build the release binary first: swift build -c release"))
struct DownloadEngineTests {
    @Test("a YouTube URL without engines.download.command fails at ingest naming the setting; a command that writes nothing fails clearly")
    func videoPageNeedsTheDownloadEngine() throws {
        let dir = Binary.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Binary.run(["init"], cwd: dir).exit == 0)
        let c = try Binary.run(["job", "create", "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "--source-lang", "en", "--lang", "es", "--json"], cwd: dir)
        #expect(c.exit == 0, "\(c.stderr)")
        let id = try #require(((try JSONSerialization.jsonObject(with: Data(c.stdout.utf8))) as? [String: Any])?["id"] as? String)
        let run = try Binary.run(["job", "run", id], cwd: dir)
        #expect(run.exit == 2, "\(run.stderr)")
        #expect(run.stderr.contains("failed at ingest") && run.stderr.contains("engines.download.command is not set"))
        let show = try Binary.run(["job", "show", id, "--json"], cwd: dir)
        let job = (try JSONSerialization.jsonObject(with: Data(show.stdout.utf8))) as? [String: Any]
        #expect(job?["status"] as? String == "failed" && job?["error_stage"] as? String == "ingest")
        #expect(try Binary.run(["config", "set", "engines.download.command", "true {url} {output}"], cwd: dir).exit == 0)
        #expect(try Binary.run(["job", "retry", id], cwd: dir).exit == 0)
        let again = try Binary.run(["job", "run", id], cwd: dir)
        #expect(again.exit != 0 && again.stderr.contains("wrote no file"), "\(again.stderr)")
    }
}
